/// Which quantization of a model an answer leads with when none is asked: the highest-quality one
/// that loses little (`QuantQuality.Tier.smallLoss` or better, `Q4_K_M`'s class), fits and
/// decodes at the speed goal; when none is that fast, the fastest of those that fit; when none of
/// those fits, the best that does. A quantization that loses heavily (2- and 1-bit types, `Q3_K_S`, `IQ3_XXS`) is
/// chosen only when asked for (`allowHeavyLoss`); otherwise the answer says it would fit.
public struct QuantChoice: Codable, Sendable, Equatable {
    public enum Rule: String, Codable, Sendable {
        /// The highest-quality quantization that loses little, fits and reaches the goal (or
        /// whose speed is unknown: nothing says it is slow).
        case meetsSpeedGoal = "meets_speed_goal"
        /// None that fits reaches the goal: the fastest with small loss or better (speeds within
        /// `sameSpeed` of the fastest count as equal, and the better quality wins).
        case fastestWithSmallLoss = "fastest_with_small_loss"
        /// None with small loss fits: the highest-quality one that fits.
        case bestThatFits = "best_that_fits"
        /// Only quantizations that lose heavily fit, and they were not asked for: the answer is
        /// the smallest other one, which does not fit (`heavyLossFit` names what would).
        case heavyLossOnly = "heavy_loss_only"
        /// Nothing fits: the smallest quantization, which comes closest.
        case nothingFits = "nothing_fits"
    }

    public var quant: String
    public var rule: Rule
    /// The decode speed the choice aims for, tokens/s.
    public var goalTokensPerS: Double
    /// The best heavy-loss quantization that fits, when the rule is `heavyLossOnly`.
    public var heavyLossFit: String?

    /// Decode speeds at least this share of the fastest count as equal when no quantization meets
    /// the goal: a few percent of speed is not worth a quality tier (gpt-oss decodes alike in every
    /// file, its experts MXFP4 in all).
    public static let sameSpeed = 0.9

    /// Reading speed: what a verdict of "runs well" asks (`Verdict.runsWellTokensPerS`).
    public static let defaultGoalTokensPerS = Verdict.runsWellTokensPerS

    public init(quant: String, rule: Rule, goalTokensPerS: Double, heavyLossFit: String? = nil) {
        self.quant = quant
        self.rule = rule
        self.goalTokensPerS = goalTokensPerS
        self.heavyLossFit = heavyLossFit
    }

    /// The choice among `reports`, one per quantization in quality order, best first
    /// (`Recommendations.ladder`). Nil when `reports` is empty.
    public static func choose(
        _ reports: [FitReport],
        goal: Double = defaultGoalTokensPerS,
        allowHeavyLoss: Bool = false
    ) -> (report: FitReport, choice: QuantChoice)? {
        choose(
            reports.map(\.quant),
            tier: { quant in reports.first { $0.quant == quant }?.quality?.tier },
            goal: goal,
            allowHeavyLoss: allowHeavyLoss,
            fit: { quant in reports.first { $0.quant == quant } }
        )
    }

    /// The choice among `quants` in quality order, best first, fitting each with `fit` (nil: a
    /// rung to skip) only as far as the answer needs: to the first that reaches the goal, or to
    /// the end of the types that lose little (`tier`) when one of them fits. Nil when no rung
    /// gives a report.
    public static func choose(
        _ quants: [String],
        tier: (String) -> QuantQuality.Tier?,
        goal: Double = defaultGoalTokensPerS,
        allowHeavyLoss: Bool = false,
        fit: (String) throws -> FitReport?
    ) rethrows -> (report: FitReport, choice: QuantChoice)? {
        func heavy(_ r: FitReport) -> Bool { r.quality?.tier == .heavyLoss }
        func usable(_ r: FitReport) -> Bool { r.fits && (allowHeavyLoss || !heavy(r)) }
        // A type without a published figure (MXFP4, a file's own) is not held against it.
        func losesLittle(_ tier: QuantQuality.Tier?) -> Bool { (tier ?? .smallLoss) >= .smallLoss }
        var seen: [FitReport] = []
        var aLittleLossFits = false
        for quant in quants {
            // Past the types that lose little, no rung can change the answer once one of them fits.
            if aLittleLossFits, !losesLittle(tier(quant)) { break }
            guard let report = try fit(quant) else { continue }
            seen.append(report)
            guard usable(report), losesLittle(report.quality?.tier) else { continue }
            if (report.decodeTokensPerS ?? .infinity) >= goal {
                return (report, .init(quant: report.quant, rule: .meetsSpeedGoal, goalTokensPerS: goal))
            }
            aLittleLossFits = true
        }
        guard let last = seen.last else { return nil }
        let fitting = seen.filter(usable)
        // In quality order: the first within `sameSpeed` of the fastest is the better quality.
        let littleLoss = fitting.filter { losesLittle($0.quality?.tier) }
        if let top = littleLoss.map({ $0.decodeTokensPerS ?? 0 }).max(),
            let fastest = littleLoss.first(where: { ($0.decodeTokensPerS ?? 0) >= sameSpeed * top })
        {
            return (fastest, .init(quant: fastest.quant, rule: .fastestWithSmallLoss, goalTokensPerS: goal))
        }
        if let best = fitting.first {
            return (best, .init(quant: best.quant, rule: .bestThatFits, goalTokensPerS: goal))
        }
        if let heavyFit = seen.first(where: { $0.fits && heavy($0) }),
            let smallest = seen.last(where: { !heavy($0) })
        {
            return (
                smallest,
                .init(quant: smallest.quant, rule: .heavyLossOnly, goalTokensPerS: goal, heavyLossFit: heavyFit.quant)
            )
        }
        return (last, .init(quant: last.quant, rule: .nothingFits, goalTokensPerS: goal))
    }

    /// `report` with `sentence(report)` opening its reasons.
    public func leading(_ report: FitReport) -> FitReport {
        var report = report
        report.reasons.insert(sentence(report), at: 0)
        return report
    }

    /// One sentence on why this quantization leads the answer, for `reasons`.
    public func sentence(_ report: FitReport) -> String {
        let goal = ProfileText.decimal(goalTokensPerS, places: goalTokensPerS.rounded() == goalTokensPerS ? 0 : 1)
        let loss = report.quality.map { q in
            "\(q.tier.words): KL divergence \(ProfileText.decimal(q.kld, places: 3)) from F16 on Llama 3 8B"
                + (q.note.map { ", \($0)" } ?? "")
        }
        let quality = loss.map { " (\($0))" } ?? ""
        switch rule {
        case .meetsSpeedGoal where report.decodeTokensPerS == nil:
            return "\(quant) is the highest-quality quantization that fits; its speed is unknown\(quality)"
        case .meetsSpeedGoal:
            return
                "\(quant) is the highest-quality quantization that fits and decodes at \(goal) tokens/s or more\(quality)"
        case .fastestWithSmallLoss:
            return
                "no quantization that fits and loses little decodes at \(goal) tokens/s; \(quant) is the fastest of them, "
                + "speeds within 10 % counting as equal\(quality)"
        case .bestThatFits:
            return
                "no quantization that loses little fits; \(quant) is the best that does\(quality), and answers lose noticeably at it"
        case .heavyLossOnly:
            return
                "only quantizations that lose heavily fit (\(heavyLossFit ?? "?")); pass --allow-heavy-loss (allow_heavy_loss=1) to be answered with one"
        case .nothingFits:
            return "no quantization fits; \(quant) is the smallest tried"
        }
    }
}
