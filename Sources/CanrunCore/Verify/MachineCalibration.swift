import Foundation

/// This machine's own CPU efficiencies, fitted on llama-bench runs of synthetic models here
/// (`canrun calibrate`): per weight-type family, the decode compute rate (weights a core
/// multiplies per cycle, `[backend.cpu.weights_per_cycle]`) and the prefill η
/// (`[prefill.cpu.quant_family]`), each the value at which canrun's own speed model gives the
/// measured speed. Memory, threads, synchronisation and every other term stay the model's: the
/// calibration replaces only the per-family rates the shipped table took from other CPUs.
///
/// It belongs to one machine (`fingerprint`, `HardwareFingerprint`) and one llama.cpp build;
/// on other hardware it is not used, and the answer says so.
public struct MachineCalibration: Codable, Sendable, Equatable {
    /// The weight-type families calibrated: the ones llama.cpp's CPU kernels run most (float,
    /// the simple 8- and 4-bit blocks, and the K-quants' 4-bit super-blocks).
    public static let families = ["F16", "Q8_0", "Q4_0", "Q4_K"]
    /// llama-bench's tests per model: a 512-token prompt (llama-bench's own, and verify's) and
    /// 32 generated tokens, long enough to time and short enough for all four families in well
    /// under a minute on 2 cores.
    public static let promptTokens = 512
    public static let generatedTokens = 32

    /// The synthetic model a family is measured on: a Llama-shaped 0.5 B model (8 layers of
    /// 2,048 wide, grouped-query attention, a 32,000-token vocabulary), large enough that its
    /// weights stream from memory, not from cache (0.28 GB at Q4_0, 1 GB at F16).
    /// With `quick`, a 4-layer model of 1,024 wide with an 8,000-token vocabulary (60 M
    /// weights): seconds instead of minutes, for slow machines and tests, and less exact, as
    /// more of it stays in cache.
    public static func model(family: String, quick: Bool = false) -> SyntheticModel {
        SyntheticModel(
            name: "canrun-calibration-\(quick ? "quick-" : "")\(family.lowercased())",
            layers: quick ? 4 : 8,
            embedding: quick ? 1024 : 2048,
            feedForward: quick ? 2816 : 5632,
            heads: quick ? 8 : 16,
            kvHeads: 4,
            vocabulary: quick ? 8000 : 32000,
            contextLength: 4096,
            weightType: family
        )
    }

    /// The model the calibration is checked on and not fitted to: the Q4_K family's kernels in a
    /// Mixtral-style mixture of experts (8 experts of 1,536 wide, 2 per token; 4 of 768 with
    /// `quick`), whose decode reads only the experts a token uses. Its error is the
    /// calibration's held-out error (`heldOutError`), the honest measure of what the rates are
    /// worth on a model they were not fitted to.
    public static func checkModel(quick: Bool = false) -> SyntheticModel {
        var model = model(family: "Q4_K", quick: quick)
        model.name += "-moe"
        model.feedForward = quick ? 768 : 1536
        model.experts = quick ? 4 : 8
        model.expertsUsed = 2
        return model
    }

    /// The values a fit searches, and all a stored calibration may hold: weights per cycle
    /// from a tenth of the slowest table row to 30 times the fastest, prefill η and the stream
    /// share (of canrun's measured read) likewise wide of anything seen.
    public static let decodeRates = 0.05...200.0
    public static let prefillEtas = 0.005...20.0
    public static let streamShares = 0.1...4.0
    /// Tokens per second a stored run may hold, measured or predicted.
    public static let speeds = 1e-3...1e7

    /// Why a stored calibration is not used.
    public struct InvalidCalibration: Error, Equatable, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// This calibration when every value it would put into the speed model is a name and a
    /// number within its range; else what is wrong. A hand-edited or corrupt calibration.json
    /// never reaches the arithmetic.
    public func validated() throws(InvalidCalibration) -> MachineCalibration {
        func check(_ values: [String: Double], _ range: ClosedRange<Double>, _ what: String) throws(InvalidCalibration)
        {
            guard values.count <= 64 else { throw InvalidCalibration(description: "\(values.count) \(what) families") }
            for (family, value) in values {
                guard !family.isEmpty, family.count <= 16,
                    family.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                else { throw InvalidCalibration(description: "\(what): '\(family.prefix(32))' is no weight type") }
                guard range.contains(value) else {
                    throw InvalidCalibration(
                        description:
                            "\(what) of \(family) is \(value), outside \(range.lowerBound) to \(range.upperBound)"
                    )
                }
            }
        }
        try check(cpuWeightsPerCycle, Self.decodeRates, "decode weights per cycle")
        try check(cpuPrefillEta, Self.prefillEtas, "prefill η")
        if let cpuEta, !Self.streamShares.contains(cpuEta) {
            throw InvalidCalibration(description: "the stream share is \(cpuEta), outside 0.1 to 4")
        }
        guard !fingerprint.isEmpty, fingerprint.count <= 64 else {
            throw InvalidCalibration(description: "no hardware fingerprint")
        }
        // The runs reach the note's arithmetic (measured ÷ predicted): speeds canrun could
        // have measured and answered, no more runs than a calibration makes.
        guard runs.count <= 64 else { throw InvalidCalibration(description: "\(runs.count) runs") }
        for run in runs {
            let speeds = [run.measuredTokensPerS] + [run.predictedBefore, run.predictedAfter].compactMap { $0 }
            guard speeds.allSatisfy({ Self.speeds.contains($0) }) else {
                throw InvalidCalibration(
                    description:
                        "a \(run.test.prefix(16)) run of \(run.family.prefix(16)) has a speed outside \(Self.speeds.lowerBound) to \(Self.speeds.upperBound) tokens/s"
                )
            }
        }
        return self
    }

    /// One llama-bench test of one synthetic model.
    public struct Run: Codable, Sendable, Equatable {
        public var family: String
        /// `pp512`, `tg32`.
        public var test: String
        public var measuredTokensPerS: Double
        /// canrun's answer with the shipped tables, and with this calibration.
        public var predictedBefore: Double?
        public var predictedAfter: Double?
        /// A run of the check model (`checkModel`): answered, not fitted.
        public var heldOut: Bool?

        public init(
            family: String,
            test: String,
            measuredTokensPerS: Double,
            predictedBefore: Double? = nil,
            predictedAfter: Double? = nil,
            heldOut: Bool? = nil
        ) {
            self.family = family
            self.test = test
            self.measuredTokensPerS = measuredTokensPerS
            self.predictedBefore = predictedBefore
            self.predictedAfter = predictedAfter
            self.heldOut = heldOut
        }
    }

    public var fingerprint: String
    public var date: Date
    public var llamaBuildCommit: String
    public var llamaBuildNumber: Int
    public var threads: Int
    /// The measured read rate the runs were answered with, bytes per second.
    public var readBytesPerS: Int64
    public var runs: [Run]
    public var cpuWeightsPerCycle: [String: Double]
    public var cpuPrefillEta: [String: Double]
    /// The share of canrun's measured read that llama.cpp's decode streams at here, where a
    /// run streamed faster than the table's share allows (`[backend.cpu] eta`); nil: the
    /// table's.
    public var cpuEta: Double?
    /// The llama-bench that ran, and its file's modification time: a new llama.cpp build there
    /// makes the calibration stale (`staleness`).
    public var llamaBenchPath: String?
    public var llamaBenchModified: Date?

    public init(
        fingerprint: String,
        date: Date,
        llamaBuildCommit: String,
        llamaBuildNumber: Int,
        threads: Int,
        readBytesPerS: Int64,
        runs: [Run],
        cpuWeightsPerCycle: [String: Double],
        cpuPrefillEta: [String: Double],
        cpuEta: Double? = nil
    ) {
        self.fingerprint = fingerprint
        self.date = date
        self.llamaBuildCommit = llamaBuildCommit
        self.llamaBuildNumber = llamaBuildNumber
        self.threads = threads
        self.readBytesPerS = readBytesPerS
        self.runs = runs
        self.cpuWeightsPerCycle = cpuWeightsPerCycle
        self.cpuPrefillEta = cpuPrefillEta
        self.cpuEta = cpuEta
    }

    /// Median and largest |after ÷ measured − 1| over the fitted runs: how well the calibrated
    /// model meets what it was fitted to (near zero: one rate per run).
    public var residual: (median: Double, worst: Double)? { Self.errors(runs.filter { $0.heldOut != true }) }

    /// The same over the held-out runs (`checkModel`): how well the calibrated model answers a
    /// model it was not fitted to; nil when none ran.
    public var heldOutError: (median: Double, worst: Double)? { Self.errors(runs.filter { $0.heldOut == true }) }

    static func errors(_ runs: [Run]) -> (median: Double, worst: Double)? {
        let errors = runs.compactMap { r in r.predictedAfter.map { abs($0 / r.measuredTokensPerS - 1) } }.sorted()
        guard let worst = errors.last else { return nil }
        return ((errors[(errors.count - 1) / 2] + errors[errors.count / 2]) / 2, worst)
    }

    /// "CPU rates calibrated here on 2026-12-08 with llama.cpp 0c1e57098, 8 runs; on an MoE model
    /// not fitted to: prefill off by 52 %, decode off by 16 %"; a calibration without a held-out
    /// run gives its fitted residual instead.
    public var note: String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withFullDate])
        let build = llamaBuildNumber > 0 ? "b\(llamaBuildNumber) (\(llamaBuildCommit))" : llamaBuildCommit
        func percent(_ x: Double) -> String { x.isFinite ? "\(Int((min(x, 1e6) * 100).rounded())) %" : "unknown %" }
        let fitted = runs.filter { $0.heldOut != true }.count
        let check: String
        let held = runs.filter { $0.heldOut == true }.compactMap { run -> String? in
            guard let after = run.predictedAfter else { return nil }
            let what = run.test.hasPrefix("tg") ? "decode" : "prefill"
            return "\(what) off by \(percent(abs(after / run.measuredTokensPerS - 1)))"
        }
        if !held.isEmpty {
            check = "; on an MoE model not fitted to: " + held.joined(separator: ", ")
        } else {
            check = residual.map { ", residual \(percent($0.median)) (worst \(percent($0.worst)))" } ?? ""
        }
        return "\(Self.notePrefix) on \(day) with llama.cpp \(build), \(fitted) run\(fitted == 1 ? "" : "s")\(check)"
    }

    /// How every calibration note begins.
    public static let notePrefix = "CPU rates calibrated here"

    /// Why this calibration may no longer hold, given the llama-bench it ran now modified at
    /// `modified` (nil: gone), and `other`, the llama-bench that would run now when it is another
    /// file (a llama.cpp installed elsewhere, or configured); nil when it still holds or no
    /// llama-bench was recorded.
    public func staleness(llamaBenchModifiedNow modified: Date?, other: String? = nil) -> String? {
        guard let path = llamaBenchPath, let recorded = llamaBenchModified else { return nil }
        if let other { return "llama-bench is now \(other), not the \(path) it was calibrated with" }
        guard let modified else { return "\(path) is gone since" }
        return abs(modified.timeIntervalSince(recorded)) < 1 ? nil : "\(path) changed since (a new llama.cpp build)"
    }

    /// `table` with this machine's rates in place of the shipped ones, and the note that says so.
    /// A family not timed here (Q6_K, IQ4_XS, …) takes its shipped rate scaled by the median
    /// ratio of calibrated to shipped over the families that were: the same cores run every
    /// kernel, so they are as much faster or slower than the table's CPUs on the others.
    /// With `stale` (`staleness`), the note says why the rates may no longer hold.
    public func applied(to table: EfficiencyTable, stale: String? = nil) -> EfficiencyTable {
        var t = table
        t.cpuWeightsPerCycle = Self.merged(table.cpuWeightsPerCycle, cpuWeightsPerCycle)
        t.prefill.cpuByQuantFamily = Self.merged(table.prefill.cpuByQuantFamily, cpuPrefillEta)
        if let cpuEta { t.model.backends["cpu"]?.eta = cpuEta }
        t.cpuCalibration = note(stale: stale)
        return t
    }

    /// `note`, and with `stale` why the rates may no longer hold.
    public func note(stale: String?) -> String {
        note + (stale.map { "; stale: \($0), run canrun calibrate again" } ?? "")
    }

    /// `shipped` with `calibrated`'s values, the rest scaled by the median calibrated ÷ shipped.
    static func merged(_ shipped: [String: Double], _ calibrated: [String: Double]) -> [String: Double] {
        let ratios = calibrated.compactMap { family, value in shipped[family].map { value / $0 } }.sorted()
        let scale = ratios.isEmpty ? 1 : ratios[ratios.count / 2]
        var out = shipped.mapValues { $0 * scale }
        out.merge(calibrated) { _, mine in mine }
        return out
    }

    /// What a calibration run measured: its family, the llama-bench result and the request
    /// canrun answers it with (`Verification.request`).
    public struct Measurement: Sendable {
        public var family: String
        public var result: LlamaBenchResult
        public var request: FitEngine.Request
        /// A run of the check model: answered with the fitted rates, never fitted to.
        public var heldOut: Bool

        public init(family: String, result: LlamaBenchResult, request: FitEngine.Request, heldOut: Bool = false) {
            self.family = family
            self.result = result
            self.request = request
            self.heldOut = heldOut
        }
    }

    /// Fits each family's rates so that canrun's model gives the measured speeds: for decode,
    /// the weights per cycle at which the prediction equals the measurement (bisection: speed
    /// grows with the rate until memory bounds it; a family already memory-bound at the
    /// measured speed keeps the smallest rate that stays so); for prefill, the η likewise.
    /// Families without a run keep the table's values. Held-out runs are answered before and
    /// after, and fit nothing.
    public static func fit(
        _ all: [Measurement],
        table: EfficiencyTable,
        quants: QuantTable,
        machine: MachineProfile,
        date: Date
    ) -> MachineCalibration {
        let measurements = all.filter { !$0.heldOut }
        var fitted = table
        var perCycle: [String: Double] = [:]
        var prefillEta: [String: Double] = [:]
        // F16 streams the most bytes per weight: where it decodes faster than the memory bound
        // allows, the bound (the share of canrun's read) is what is wrong here, not a rate. A
        // slower run could be either, and is left to the rates.
        var streamShare: Double?
        if let f16 = measurements.first(where: { $0.family == "F16" && $0.result.isDecode }),
            let shipped = table.model.backends["cpu"]?.eta
        {
            func streaming(_ eta: Double) -> Double? {
                var t = table
                t.model.backends["cpu"]?.eta = eta
                t.cpuWeightsPerCycle["F16"] = 1000
                return predict(f16, table: t, quants: quants, machine: machine)
            }
            if shipped < Self.streamShares.upperBound, let bound = streaming(shipped), f16.result.tokensPerS > bound,
                let eta = solve(
                    target: f16.result.tokensPerS,
                    range: max(shipped, Self.streamShares.lowerBound)...Self.streamShares.upperBound,
                    streaming
                )
            {
                streamShare = eta
                fitted.model.backends["cpu"]?.eta = eta
            }
        }
        for family in Set(measurements.map(\.family)).sorted() {
            let mine = measurements.filter { $0.family == family }
            if let decode = mine.first(where: { $0.result.isDecode }) {
                func speed(_ w: Double) -> Double? {
                    var t = fitted
                    t.cpuWeightsPerCycle[family] = w
                    return predict(decode, table: t, quants: quants, machine: machine)
                }
                if var value = solve(target: decode.result.tokensPerS, range: Self.decodeRates, speed) {
                    // A run at the memory's pace shows no compute bound: the rate is at least the
                    // knee it reached, and no lower than the table's (a slower rate would make
                    // larger models of the family compute-bound on no evidence).
                    if let bound = speed(Self.decodeRates.upperBound), decode.result.tokensPerS >= bound * 0.999,
                        let shipped = FitEngine(quants: quants, efficiency: table).cpuWeightsPerCycle(family)
                    {
                        value = max(value, shipped)
                    }
                    perCycle[family] = value
                    fitted.cpuWeightsPerCycle[family] = value
                }
            }
            if let prompt = mine.first(where: { !$0.result.isDecode }) {
                let value = solve(target: prompt.result.tokensPerS, range: Self.prefillEtas) { eta in
                    var t = fitted
                    t.prefill.cpuByQuantFamily[family] = eta
                    return predict(prompt, table: t, quants: quants, machine: machine)
                }
                if let value {
                    prefillEta[family] = value
                    fitted.prefill.cpuByQuantFamily[family] = value
                }
            }
        }
        let first = measurements.first?.result
        return MachineCalibration(
            fingerprint: HardwareFingerprint.of(machine),
            date: date,
            llamaBuildCommit: first?.buildCommit ?? "unknown",
            llamaBuildNumber: first?.buildNumber ?? 0,
            threads: first?.threads ?? 0,
            readBytesPerS: machine.bandwidth?.total.readBytesPerS ?? 0,
            runs: all.map { m in
                Run(
                    family: m.family,
                    test: m.result.test,
                    measuredTokensPerS: m.result.tokensPerS,
                    predictedBefore: predict(m, table: table, quants: quants, machine: machine),
                    predictedAfter: predict(m, table: fitted, quants: quants, machine: machine),
                    heldOut: m.heldOut ? true : nil
                )
            },
            cpuWeightsPerCycle: perCycle,
            cpuPrefillEta: prefillEta,
            cpuEta: streamShare
        )
    }

    static func predict(
        _ m: Measurement,
        table: EfficiencyTable,
        quants: QuantTable,
        machine: MachineProfile
    ) -> Double? {
        Verification.prediction(
            for: m.result,
            base: m.request,
            engine: FitEngine(quants: quants, efficiency: table),
            machine: machine
        )
    }

    /// The smallest `x` in `range` (geometric bisection) at which `f(x)` reaches `target`, for an
    /// `f` that does not fall as `x` grows; the top of the range when `f` stays below; nil when
    /// `f` gives nothing.
    package static func solve(target: Double, range: ClosedRange<Double>, _ f: (Double) -> Double?) -> Double? {
        guard let top = f(range.upperBound) else { return nil }
        // Beyond what the rate can give (memory-bound): the smallest rate that still reaches
        // 99.9 % of the bound, so the calibration claims no more than the run showed.
        let goal = min(target, top * 0.999)
        var low = range.lowerBound
        var high = range.upperBound
        for _ in 0..<60 {
            let mid = (low * high).squareRoot()
            guard let value = f(mid) else { return nil }
            if value >= goal { high = mid } else { low = mid }
        }
        return high
    }
}
