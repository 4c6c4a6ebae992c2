import CanrunCore

/// Fits prefill's η per GPU backend and kernel (`PrefillKernel`: `cuda.mmq`, `rocm.dp4a`, …)
/// on the calibration runs' prompt results (any length, any depth: attention's FLOPs grow with
/// both), against the peak of the unit each kernel uses, together with one number for MoE
/// models: the tokens per expert at which expert multiplications run at half their dense
/// efficiency (`PrefillSpeedModel.expertHalfBatchTokens`). It measures the fit
/// leave-one-source-out.
///
/// A run counts when canrun places its prompt on GPUs of one backend running one kernel, with
/// no weights copied from RAM: then seconds per token = Σ share × FLOPs ÷ peak ÷ η.
public struct PrefillFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        /// `backend.kernel`.
        public var key: String
        /// Σ over the GPUs of their share of the FLOPs ÷ their peak, per FLOP.
        var secondsPerFlop: Double
        var terms: PrefillTerms
        public var measuredSeconds: Double { 1 / run.tokensPerS }

        /// Seconds per token at η = 1 with the expert term `half`.
        func peakSeconds(half: Double?) -> Double { secondsPerFlop * terms.effectiveFlops(half: half) }
    }

    public struct Parameters: Sendable {
        /// η per `backend.kernel`, with the runs and sources behind each.
        public var eta: [String: (eta: Double, runs: Int, sources: Int)]
        public var expertHalfBatchTokens: Double?
    }

    public var observations: [Observation] = []

    public init(_ runs: [CalibrationRun], engine: FitEngine, machines: CalibrationMachines, models: CalibrationModels) {
        for run in runs where run.isPrefill {
            guard
                let (request, machine) = try? CalibrationCheck.question(
                    run,
                    engine: engine,
                    machines: machines,
                    models: models
                ),
                let terms = try? engine.prefillCost(
                    request,
                    machine: machine,
                    promptTokens: run.promptTokens,
                    depth: run.depth
                )
            else { continue }
            let shares = terms.cost.shares
            guard terms.cost.offload == nil, let first = shares.first, let kernel = first.kernel,
                let backend = first.backend,
                shares.allSatisfy({ $0.kernel == kernel && $0.backend == backend && ($0.peakFlopsPerS ?? 0) > 0 })
            else { continue }
            let perFlop = shares.reduce(0.0) { $0 + $1.fraction / $1.peakFlopsPerS! }
            observations.append(
                Observation(run: run, key: "\(backend).\(kernel.rawValue)", secondsPerFlop: perFlop, terms: terms)
            )
        }
    }

    /// The candidates for the expert term: none, and 2 to 1,024 tokens in steps of √2.
    static let halfBatchCandidates: [Double?] = {
        var out: [Double?] = [nil]
        var tokens = 2.0
        while tokens <= 1024 {
            out.append(tokens)
            tokens *= 2.0.squareRoot()
        }
        return out
    }()

    /// η per `backend.kernel` (least squares on relative errors: η = Σ x² ÷ Σ x with x = peak
    /// seconds ÷ measured seconds) for each candidate expert term, and the candidate whose
    /// relative errors' squares sum least.
    public static func fit(_ observations: [Observation]) -> Parameters {
        var best: (error: Double, parameters: Parameters)?
        for half in halfBatchCandidates {
            var eta: [String: (Double, Int, Int)] = [:]
            var error = 0.0
            for key in Set(observations.map(\.key)) {
                let mine = observations.filter { $0.key == key }
                let x = mine.map { $0.peakSeconds(half: half) / $0.measuredSeconds }
                let sum = x.reduce(0, +)
                let squares = x.reduce(0) { $0 + $1 * $1 }
                guard sum > 0 else { continue }
                let e = squares / sum
                eta[key] = (e, mine.count, Set(mine.map(\.run.sourceID)).count)
                error += x.reduce(0) { $0 + ($1 / e - 1) * ($1 / e - 1) }
            }
            if best == nil || error < best!.error {
                best = (error, Parameters(eta: eta, expertHalfBatchTokens: half))
            }
        }
        return best?.parameters ?? Parameters(eta: [:], expertHalfBatchTokens: nil)
    }

    /// Each observation with its prediction from a fit on every other source's runs (none when
    /// its kernel has no run elsewhere).
    public func leaveOneSourceOut() -> [(Observation, Double)] {
        var out: [(Observation, Double)] = []
        for source in Set(observations.map(\.run.sourceID)).sorted() {
            let parameters = Self.fit(observations.filter { $0.run.sourceID != source })
            for o in observations where o.run.sourceID == source {
                if let eta = parameters.eta[o.key]?.eta {
                    out.append((o, eta / o.peakSeconds(half: parameters.expertHalfBatchTokens)))
                }
            }
        }
        return out
    }
}
