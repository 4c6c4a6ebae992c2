import CanrunCore

/// Fits prefill's η per GPU backend and kernel (`PrefillKernel`: `cuda.mmq`, `rocm.dp4a`, …)
/// on the calibration runs' prompt results (any length, any depth: attention's FLOPs grow with
/// both), against the peak of the unit each kernel uses, and
/// measures it leave-one-source-out.
///
/// A run counts when canrun places its prompt on GPUs of one backend running one kernel, with
/// no weights copied from RAM: then seconds per token = Σ share × FLOPs ÷ peak ÷ η.
public struct PrefillFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        /// `backend.kernel`.
        public var key: String
        /// Σ over the GPUs of their share of a token's FLOPs ÷ their peak: seconds at η = 1.
        public var peakSeconds: Double
        public var measuredSeconds: Double { 1 / run.tokensPerS }
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
                let (cost, flops) = try? engine.prefillCost(
                    request,
                    machine: machine,
                    promptTokens: run.promptTokens,
                    depth: run.depth
                ),
                cost.offload == nil,
                let first = cost.shares.first, let kernel = first.kernel, let backend = first.backend,
                cost.shares.allSatisfy({ $0.kernel == kernel && $0.backend == backend && ($0.peakFlopsPerS ?? 0) > 0 })
            else { continue }
            let seconds = cost.shares.reduce(0.0) { $0 + $1.fraction * flops / $1.peakFlopsPerS! }
            observations.append(Observation(run: run, key: "\(backend).\(kernel.rawValue)", peakSeconds: seconds))
        }
    }

    /// η per `backend.kernel`: least squares on relative errors, `η = Σ x² ÷ Σ x` with
    /// x = peak seconds ÷ measured seconds.
    public static func fit(_ observations: [Observation]) -> [String: (eta: Double, runs: Int, sources: Int)] {
        var out: [String: (Double, Int, Int)] = [:]
        for key in Set(observations.map(\.key)) {
            let mine = observations.filter { $0.key == key }
            let x = mine.map { $0.peakSeconds / $0.measuredSeconds }
            let sum = x.reduce(0, +)
            let squares = x.reduce(0) { $0 + $1 * $1 }
            guard sum > 0 else { continue }
            out[key] = (squares / sum, mine.count, Set(mine.map(\.run.sourceID)).count)
        }
        return out
    }

    /// Each observation with its prediction from a fit on every other source's runs (none when
    /// its kernel has no run elsewhere).
    public func leaveOneSourceOut() -> [(Observation, Double)] {
        var out: [(Observation, Double)] = []
        for source in Set(observations.map(\.run.sourceID)).sorted() {
            let parameters = Self.fit(observations.filter { $0.run.sourceID != source })
            for o in observations where o.run.sourceID == source {
                if let eta = parameters[o.key]?.eta { out.append((o, eta / o.peakSeconds)) }
            }
        }
        return out
    }
}
