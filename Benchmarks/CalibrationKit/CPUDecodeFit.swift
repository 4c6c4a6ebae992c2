import CanrunCore
import Foundation

/// Fits the CPU decode model's two machine-independent parameters on the calibration runs whose
/// machine canrun knows only by its memory's theoretical peak, and measures them
/// leave-one-source-out:
///
///     seconds per token = max(bytes ÷ (peak × s × η), weights ÷ cores' rate)
///                         + layers × τ            (only with more than one thread)
///
/// - `s` (`peak_read_share`): the share of the theoretical peak a streaming read sustains. η (the
///   share of a *measured* read that llama.cpp's decode reaches) and the cores' rate per weight
///   family come from the development VMs (`Benchmarks/llama-cpp-check/fit-cpu-decode.py`) and stay
///   as they are.
/// - `τ` (`[backend.cpu] tau_seconds_per_layer`): the threads' synchronisation per layer (llama.cpp
///   waits on a barrier after every operation), which does not shrink with more threads.
///
/// Both enter non-linearly (the max), so the fit is a grid search; each source weighs the same
/// however many rows it has, and the error is the logarithm of predicted ÷ measured time.
public struct CPUDecodeFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        /// Bytes a token reads ÷ the theoretical peak: seconds at s × η = 1.
        public var peakSeconds: Double
        /// The cores' multiply time at the shipped rate per weight family (0 when unknown).
        public var computeSeconds: Double
        /// Layers whose synchronisation a token pays: 0 with one thread.
        public var syncedLayers: Int
        public var measuredSeconds: Double { 1 / run.tokensPerS }
    }

    public struct Parameters: Sendable, Equatable {
        public var peakReadShare: Double
        public var syncSecondsPerLayer: Double
    }

    public var observations: [Observation] = []
    /// The measured-read η the fit keeps (`[backend.cpu] eta`).
    public let eta: Double

    /// The grid: shares 0.30-1.00 in steps of 0.01, τ 0-1 ms in steps of 5 µs.
    static let shares = stride(from: 0.30, through: 1.0001, by: 0.01).map { $0 }
    static let taus = stride(from: 0.0, through: 0.001_000_1, by: 0.000_005).map { $0 }

    public init(_ runs: [CalibrationRun], engine: FitEngine, machines: CalibrationMachines, models: CalibrationModels) {
        eta = engine.efficiency.model.backends["cpu"]?.eta ?? 1
        for run in runs where run.isDecode && run.gpuCount == 0 {
            guard
                let (request, machine) = try? CalibrationCheck.question(
                    run,
                    engine: engine,
                    machines: machines,
                    models: models
                ),
                machine.bandwidth == nil,
                let peak = machine.memory.theoreticalBandwidthBytesPerS, peak > 0,
                let (cost, kv) = try? engine.decodeCost(request, machine: machine),
                cost.shares.count == 1, let share = cost.shares.first, share.device == .cpu
            else { continue }
            // As the engine counts them: an unknown core count is taken as several.
            let threads = CPUFacts.llamaThreads(asked: request.threads, cpu: machine.cpu) ?? 2
            observations.append(
                Observation(
                    run: run,
                    peakSeconds: Double(share.bytes(kvBytes: kv)) / Double(peak),
                    computeSeconds: share.computeSeconds,
                    syncedLayers: threads > 1 ? cost.layers : 0
                )
            )
        }
    }

    /// Seconds per token `p` predicts for `o`.
    public func predictedSeconds(_ o: Observation, _ p: Parameters) -> Double {
        max(o.peakSeconds / (p.peakReadShare * eta), o.computeSeconds)
            + Double(o.syncedLayers) * p.syncSecondsPerLayer
    }

    /// The grid point with the least Σ over sources of the mean squared log error of its runs;
    /// nil without runs.
    public func fit(_ rows: [Observation]) -> Parameters? {
        guard !rows.isEmpty else { return nil }
        let perSource = Dictionary(grouping: rows, by: \.run.sourceID)
        var best: (Double, Parameters)?
        for share in Self.shares {
            for tau in Self.taus {
                let p = Parameters(peakReadShare: share, syncSecondsPerLayer: tau)
                var loss = 0.0
                for (_, mine) in perSource {
                    let sum = mine.reduce(0.0) {
                        let e = log(predictedSeconds($1, p) / $1.measuredSeconds)
                        return $0 + e * e
                    }
                    loss += sum / Double(mine.count)
                }
                if best == nil || loss < best!.0 { best = (loss, p) }
            }
        }
        return best?.1
    }

    /// Each observation with its predicted tokens per second from a fit on every other source.
    public func leaveOneSourceOut() -> [(Observation, Double)] {
        var out: [(Observation, Double)] = []
        for source in Set(observations.map(\.run.sourceID)).sorted() {
            guard let p = fit(observations.filter { $0.run.sourceID != source }) else { continue }
            for o in observations where o.run.sourceID == source { out.append((o, 1 / predictedSeconds(o, p))) }
        }
        return out
    }
}
