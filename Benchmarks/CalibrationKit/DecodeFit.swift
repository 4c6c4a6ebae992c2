import CanrunCore

/// Fits the GPU decode model's three parameters per backend, η (the share of the memory
/// bandwidth the kernels reach), κ (weights the kernels multiply per FP32 FLOP) and τ (the fixed
/// cost per layer and token), on the calibration runs, and measures it leave-one-source-out:
/// each source's runs predicted by a fit on the others.
///
/// A run counts when canrun places it on GPUs of one backend only (one GPU, unified memory, or a
/// layer split): then seconds per token = Σ bytes ÷ (bandwidth × η) + Σ weights ÷ (FP32 × κ) +
/// layers × τ + copies (`DecodeCost`), linear in 1/η, 1/κ and τ: least squares on relative
/// errors, each parameter kept non-negative.
public struct DecodeFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        public var backend: String
        /// Σ over the devices of the bytes each reads ÷ its bandwidth: seconds at η = 1.
        public var streamSeconds: Double
        /// Σ over the devices of the weights each multiplies ÷ its FP32 rate: seconds at κ = 1
        /// (0 where a GPU's FP32 rate is unknown).
        public var arithmeticSeconds: Double
        public var layers: Int
        /// Activation copies between GPUs, seconds.
        public var transferSeconds: Double
        public var measuredSeconds: Double { 1 / run.tokensPerS }
    }

    public var observations: [Observation] = []

    public init(_ runs: [CalibrationRun], engine: FitEngine, machines: CalibrationMachines, models: CalibrationModels) {
        for run in runs where run.isDecode {
            guard let backend = run.gpuBackend,
                let (request, machine) = try? CalibrationCheck.question(
                    run,
                    engine: engine,
                    machines: machines,
                    models: models
                ),
                let (cost, kv) = try? engine.decodeCost(request, machine: machine),
                !cost.shares.isEmpty,
                cost.shares.allSatisfy({ if case .gpu = $0.device { true } else { false } })
            else { continue }
            // Every device streams at a known rate, or the run says nothing about η.
            let streams = cost.shares.map { share in
                share.bandwidthBytesPerS.flatMap { $0 > 0 ? Double(share.bytes(kvBytes: kv)) / Double($0) : nil }
            }
            guard streams.allSatisfy({ $0 != nil }) else { continue }
            let stream = streams.reduce(0.0) { $0 + $1! }
            let arithmetic = cost.shares.reduce(0.0) {
                $0 + (($1.fp32FlopsPerS ?? 0) > 0 ? Double($1.multipliedWeights) / $1.fp32FlopsPerS! : 0)
            }
            guard stream > 0 else { continue }
            observations.append(
                Observation(
                    run: run,
                    backend: backend,
                    streamSeconds: stream,
                    arithmeticSeconds: arithmetic,
                    layers: cost.layers,
                    transferSeconds: cost.transfer?.seconds ?? 0
                )
            )
        }
    }

    /// η, τ and κ per backend fitted on `observations`; backends with fewer than three runs get
    /// none, and κ stays unfitted (nil) where no run knows its GPU's FP32 rate.
    public static func fit(_ observations: [Observation]) -> [String: DecodeSpeedModel.Backend] {
        var out: [String: DecodeSpeedModel.Backend] = [:]
        for backend in Set(observations.map(\.backend)) {
            let mine = observations.filter { $0.backend == backend }
            let seconds = mine.map { max(1e-9, $0.measuredSeconds - $0.transferSeconds) }
            let rows = zip(mine, seconds).map { o, t in
                [o.streamSeconds / t, Double(o.layers) / t, o.arithmeticSeconds / t]
            }
            guard mine.count >= 3, let c = LeastSquares.nonNegative(rows, Array(repeating: 1, count: rows.count)),
                c[0] > 0
            else { continue }
            let sources = Set(mine.map(\.run.sourceID)).count
            out[backend] = .init(
                eta: 1 / c[0],
                tauSecondsPerLayer: c[1],
                weightsPerFP32Flop: c[2] > 0 ? 1 / c[2] : nil,
                source: "fit on \(mine.count) decode runs from \(sources) sources (Benchmarks/calibration)"
            )
        }
        return out
    }

    /// Tokens per second `parameters` predict for `o`; nil without its backend.
    public static func predict(_ o: Observation, _ parameters: [String: DecodeSpeedModel.Backend]) -> Double? {
        guard let p = parameters[o.backend], p.eta > 0 else { return nil }
        let arithmetic = p.weightsPerFP32Flop.map { o.arithmeticSeconds / $0 } ?? 0
        return 1 / (o.streamSeconds / p.eta + arithmetic + Double(o.layers) * p.tauSecondsPerLayer + o.transferSeconds)
    }

    /// Each observation with its prediction from a fit on every other source's runs.
    public func leaveOneSourceOut() -> [(Observation, Double)] {
        var out: [(Observation, Double)] = []
        for source in Set(observations.map(\.run.sourceID)).sorted() {
            let parameters = Self.fit(observations.filter { $0.run.sourceID != source })
            for o in observations where o.run.sourceID == source {
                if let p = Self.predict(o, parameters) { out.append((o, p)) }
            }
        }
        return out
    }
}
