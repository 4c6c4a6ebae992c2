import CanrunCore

/// Fits the GPU decode model's two parameters per backend, η (the share of the memory bandwidth
/// the kernels reach) and τ (the fixed cost per layer and token), on the calibration runs, and
/// measures it leave-one-source-out: each source's runs predicted by a fit on the others.
///
/// A run counts when canrun places it on GPUs of one backend only (one GPU, unified memory, or a
/// layer split): then seconds per token = Σ bytes ÷ (bandwidth × η) + layers × τ + copies
/// (`DecodeCost`), linear in 1/η and τ.
public struct DecodeFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        public var backend: String
        /// Σ over the devices of the bytes each reads ÷ its bandwidth: seconds at η = 1.
        public var streamSeconds: Double
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
            var stream = 0.0
            for share in cost.shares {
                guard let bw = share.bandwidthBytesPerS, bw > 0 else { break }
                let bytes = share.weightBytes + Int64(Double(kv) * share.kvFraction)
                stream += Double(bytes) / Double(bw)
            }
            guard stream > 0 else { continue }
            observations.append(
                Observation(
                    run: run,
                    backend: backend,
                    streamSeconds: stream,
                    layers: cost.layers,
                    transferSeconds: cost.transfer?.seconds ?? 0
                )
            )
        }
    }

    /// η and τ per backend fitted on `observations` (`DecodeSpeedModel.fit`: least squares on
    /// relative errors); backends with fewer than two runs get none.
    public static func fit(_ observations: [Observation]) -> [String: DecodeSpeedModel.Backend] {
        var out: [String: DecodeSpeedModel.Backend] = [:]
        for backend in Set(observations.map(\.backend)) {
            let mine = observations.filter { $0.backend == backend }
            let rows = mine.map {
                DecodeSpeedModel.Observation(
                    bytesPerToken: $0.streamSeconds,
                    bandwidth: 1,
                    layers: $0.layers,
                    seconds: max(1e-9, $0.measuredSeconds - $0.transferSeconds)
                )
            }
            guard let (eta, tau) = DecodeSpeedModel.fit(rows) else { continue }
            let sources = Set(mine.map(\.run.sourceID)).count
            out[backend] = .init(
                eta: eta,
                tauSecondsPerLayer: tau,
                source: "fit on \(mine.count) decode runs from \(sources) sources (Benchmarks/calibration)"
            )
        }
        return out
    }

    /// Tokens per second `parameters` predict for `o`; nil without its backend.
    public static func predict(_ o: Observation, _ parameters: [String: DecodeSpeedModel.Backend]) -> Double? {
        guard let p = parameters[o.backend], p.eta > 0 else { return nil }
        return 1 / (o.streamSeconds / p.eta + Double(o.layers) * p.tauSecondsPerLayer + o.transferSeconds)
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
