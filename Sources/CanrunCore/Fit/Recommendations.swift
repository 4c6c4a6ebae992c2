import Foundation

/// What a machine can run: for each catalog model the quantization an answer leads with
/// (`QuantChoice`) at the given context, best answers first.
public enum Recommendations {
    /// The quantizations tried per model, best quality first.
    public static let ladder = [
        "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "IQ3_M", "Q2_K", "IQ2_M", "IQ1_M",
    ]

    /// The quantizations tried for `model`, best quality first: its own format's GGUF type first
    /// where that is not a 16-bit float and not on the `ladder` already (gpt-oss's MXFP4 files,
    /// `MXFP4_MOE`), then the ladder.
    public static func ladder(for model: ModelSpec, quants: QuantTable) -> [String] {
        guard let native = model.nativeFormat,
            let own = quants.namedQuant(native)?.name ?? quants.format(named: native)?.ggufAs,
            !["F32", "F16", "BF16"].contains(quants.namedQuant(own)?.base ?? own), !ladder.contains(own)
        else { return ladder }
        return [own] + ladder
    }

    /// Decode speeds below this are too slow to use: `rank` leaves such rows out unless asked.
    public static let slowTokensPerS = 1.0

    /// The ranked table and what it left out, by why.
    public struct Ranking: Sendable, Equatable {
        public var reports: [FitReport]
        /// Models whose answer decodes under `slowTokensPerS`.
        public var slow = 0
        /// Models that fit only at quantizations that lose heavily (`QuantChoice.Rule.heavyLossOnly`).
        public var heavyLossOnly = 0
        /// Models none of whose quantizations reaches an asked `minTokensPerSecond`.
        public var belowGoal = 0
        /// Models trained for fewer tokens than the asked context.
        public var shortContext = 0

        public init(reports: [FitReport] = []) { self.reports = reports }

        /// Models fitted but left out.
        public var leftOut: Int { slow + heavyLossOnly + belowGoal + shortContext }
    }

    /// Each catalog model that fits at its `QuantChoice` (the goal: `minTokensPerSecond`, else
    /// reading speed), best answers first: models that run well before ones that run slowly, and
    /// within a verdict the largest (more parameters, more capable) first. Left out and counted:
    /// models that fit only at heavy loss (unless `allowHeavyLoss`), that miss an asked
    /// `minTokensPerSecond`, that decode under `slowTokensPerS` (unless `includeSlow`), or that
    /// were trained for fewer tokens than `context` (unless `includeShortContext`: then answered
    /// at their maximum, and the reasons say so unless `sayShortContext` is off, for a default
    /// context nobody asked for; an asked context is never lowered in silence).
    public static func rank(
        _ models: [ModelSpec],
        engine: FitEngine,
        machine: MachineProfile,
        context: Int,
        kvType: String? = nil,
        minTokensPerSecond: Double? = nil,
        allowHeavyLoss: Bool = false,
        includeSlow: Bool = false,
        includeShortContext: Bool = false,
        sayShortContext: Bool = true,
        deadline: Deadline = .none
    ) throws(AnswerError) -> Ranking {
        var ranking = Ranking()
        var reports: [(report: FitReport, params: Int64)] = []
        let devices = FitEngine.Devices(machine)
        let ceiling = engine.memoryCeiling(devices)
        let fewestBits = engine.quants.types.map(\.bitsPerWeight).filter { $0 > 0 }.min()
        for model in models {
            try deadline.check("ranking the catalog")
            let ctx = min(context, model.usableContext)
            if ctx < context, !includeShortContext {
                ranking.shortContext += 1
                continue
            }
            let inventory = TensorInventory(model)
            // No quantization packs a weight in fewer bits than the table's smallest type: a model
            // that outweighs all the machine's memory even so skips the ladder (each rung costs a
            // pass over every tensor).
            if let ceiling, let fewestBits,
                Double(inventory.totalParameters) * fewestBits / 8 > Double(ceiling)
            {
                continue
            }
            guard
                let (chosen, choice) = QuantChoice.choose(
                    ladder(for: model, quants: engine.quants),
                    tier: { engine.quants.quality(of: $0, model: model)?.tier },
                    goal: minTokensPerSecond ?? QuantChoice.defaultGoalTokensPerS,
                    allowHeavyLoss: allowHeavyLoss,
                    fit: { quant in
                        var request = FitEngine.Request(
                            model: model,
                            quant: quant,
                            context: ctx,
                            kvType: kvType ?? "f16"
                        )
                        request.choosesKVType = kvType == nil
                        return try? engine.fit(request, devices: devices, inventory: inventory)
                    }
                )
            else { continue }
            switch choice.rule {
            case .nothingFits: continue
            case .heavyLossOnly:
                ranking.heavyLossOnly += 1
                continue
            default: break
            }
            let speed = chosen.decodeTokensPerS ?? .infinity
            if let goal = minTokensPerSecond, speed < goal {
                ranking.belowGoal += 1
                continue
            }
            if !includeSlow, speed < slowTokensPerS {
                ranking.slow += 1
                continue
            }
            var report = choice.leading(chosen)
            if ctx < context, sayShortContext {
                report.reasons.insert(
                    "trained for at most \(ctx) tokens: answered at \(ctx), not the asked \(context)",
                    at: 0
                )
            }
            reports.append((report, inventory.totalParameters))
        }
        ranking.reports = reports.sorted { a, b in
            guard a.report.verdict == b.report.verdict else { return a.report.verdict > b.report.verdict }
            return (-a.params, -(a.report.decodeTokensPerS ?? 0)) < (-b.params, -(b.report.decodeTokensPerS ?? 0))
        }.map(\.report)
        return ranking
    }

    /// The line after the table: what was left out and why, and how to see it; nil when nothing was.
    public static func leftOutLine(_ ranking: Ranking, minTokensPerSecond: Double?) -> String? {
        var parts: [String] = []
        if ranking.slow > 0 {
            parts.append(
                "\(ranking.slow) decode under \(ProfileText.decimal(slowTokensPerS, places: 0)) token/s (--all shows them)"
            )
        }
        if ranking.heavyLossOnly > 0 {
            parts.append(
                "\(ranking.heavyLossOnly) fit only at 1- to 3-bit quantizations that lose heavily (--allow-heavy-loss shows them)"
            )
        }
        if ranking.shortContext > 0 {
            parts.append(
                "\(ranking.shortContext) trained for fewer tokens than asked (--all shows them at their maximum)"
            )
        }
        if ranking.belowGoal > 0, let goal = minTokensPerSecond {
            parts.append("\(ranking.belowGoal) reach no \(ProfileText.decimal(goal, places: 1)) tokens/s (--min-tps)")
        }
        guard !parts.isEmpty else { return nil }
        return "left out: " + parts.joined(separator: "; ")
    }

    /// The quantization of one model an answer leads with (`QuantChoice` along `ladder`, reading
    /// only as far as it must), its reasons opened by why: what `canrun check MODEL` decides on
    /// without a quantization.
    public static func best(
        request: (String) -> FitEngine.Request,
        engine: FitEngine,
        machine: MachineProfile,
        goal: Double = QuantChoice.defaultGoalTokensPerS,
        allowHeavyLoss: Bool = false
    ) throws -> FitReport {
        try FitEngine.check(request(ladder[0]))
        let model = request(ladder[0]).model
        let inventory = TensorInventory(model)
        let rungs = ladder(for: model, quants: engine.quants)
        let chosen = try QuantChoice.choose(
            rungs,
            tier: { engine.quants.quality(of: $0, model: model)?.tier },
            goal: goal,
            allowHeavyLoss: allowHeavyLoss,
            fit: { quant in try engine.fit(request(quant), machine: machine, inventory: inventory) }
        )
        // The ladder is not empty, and a rung that fails to fit throws instead of returning nil.
        guard let chosen else { throw FitEngine.FitError.unknownQuant(rungs.joined(separator: ", ")) }
        return chosen.choice.leading(chosen.report)
    }

    /// One line per model: the table `canrun` prints; `loss` is the quantization's quality tier
    /// (`QuantQuality`), `where` the placement (with the KV cache type when it is not f16),
    /// `decode t/s` at an empty context and `at ctx` with the context full.
    public static func table(_ reports: [FitReport]) -> String {
        func pad(_ s: String, _ n: Int) -> String {
            s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0)
        }
        var lines = [
            pad("model", 32) + pad("quant", 10) + pad("loss", 11) + pad("memory", 11) + pad("where", 20)
                + pad("decode t/s", 12) + pad("at ctx", 8)
                + pad("prefill t/s", 13)
                + pad("max ctx", 9) + "verdict"
        ]
        for r in reports {
            lines.append(
                pad(TerminalText.sanitised(r.model), 32) + pad(r.quant, 10)
                    + pad(r.quality.map { $0.tier.shortName } ?? "?", 11)
                    + pad(ProfileText.bytes(r.memory.totalBytes), 11)
                    + pad(placementColumn(r), 20)
                    + pad(r.decodeTokensPerS.map { String(format: "%.1f", $0) } ?? "?", 12)
                    + pad(r.decodeTokensPerSAtFullContext.map { String(format: "%.1f", $0) } ?? "?", 8)
                    + pad(r.prefillTokensPerS.map { String(format: "%.0f", $0) } ?? "?", 13)
                    + pad("\(r.maxContextTokens)", 9) + r.verdict.words
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `partial_offload`, or `partial kv q8_0` when the cache is not llama.cpp's default f16.
    static func placementColumn(_ r: FitReport) -> String {
        r.kvCacheType.lowercased() == "f16"
            ? r.placement.mode.rawValue : "\(r.placement.mode.shortName) kv \(r.kvCacheType)"
    }
}
