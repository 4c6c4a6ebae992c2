import CanrunCore

/// Everything the daemon answers from, loaded at start and replaced whole on reload or after a
/// benchmark: the fit engine and its tables, the catalog and the probed machine.
public struct APISnapshot: Sendable {
    /// Whether a bandwidth measurement exists, is being made, or is still to come.
    public enum Benchmark: String, Sendable, Encodable {
        case ready, running, pending
    }

    /// Whether the measurement served is also kept in the state directory: a measurement whose
    /// store failed (a full disk, a read-only or refused folder) is served all the same, and
    /// `/v1/health` says it was not saved, and why. Nil while there is no measurement.
    public enum BenchmarkCache: Sendable, Equatable {
        case saved
        case notSaved(reason: String)
    }

    public var version: String
    public var engine: FitEngine
    public var catalog: ModelCatalog
    public var machine: MachineProfile
    /// A measurement is being made now.
    public var benchmarkRunning = false
    /// Whether the measurement in `machine.bandwidth` is in the state directory.
    public var benchmarkCache: BenchmarkCache?
    /// This machine's calibration in the state directory (`canrun calibrate`, `POST
    /// /v1/calibration`): when applied, `engine` answers with its rates (`calibrate(with:)`).
    public private(set) var calibration: CalibrationState = .none(path: "")
    /// The rates `engine` had before any calibration: a new calibration replaces the last one
    /// instead of scaling it again.
    private var shippedEfficiency: EfficiencyTable
    /// What the last calibration canrund ran came to; nil before the first.
    public var calibrationRun: RunState?
    /// What the last verification canrund ran came to (`POST /v1/verify`); nil before the first.
    public var verifyRun: RunState?
    /// The reference machines (`config/presets.toml`) the report page sets each model on.
    public var presets: [HardwarePresets.Preset] = []
    /// The verifications kept in the state directory, oldest first (`GET /v1/verifications`).
    public var verifications: [Verification] = []

    /// A background run of canrund's (a calibration, a verification), and how it ended.
    public enum RunState: Sendable, Equatable {
        case running
        /// It ended and is in use; `problem` when the state directory did not keep it.
        case finished(problem: String?)
        case failed(reason: String)

        /// `running`, `finished` or `failed`, and the problem or reason.
        var health: (state: String, problem: String?) {
            switch self {
            case .running: ("running", nil)
            case .finished(let problem): ("finished", problem)
            case .failed(let reason): ("failed", reason)
            }
        }
    }

    /// The answer layer over this snapshot's engine and catalog.
    public var advisor: Advisor { Advisor(engine: engine, catalog: catalog) }

    /// Running, else whether the machine has a measurement.
    public var benchmark: Benchmark { benchmarkRunning ? .running : machine.bandwidth == nil ? .pending : .ready }

    public init(version: String, engine: FitEngine, catalog: ModelCatalog, machine: MachineProfile) {
        self.version = version
        self.engine = engine
        self.catalog = catalog
        self.machine = machine
        shippedEfficiency = engine.efficiency
    }

    /// What measures this machine now and would skew another measurement: the bandwidth
    /// benchmark, or llama-bench in a calibration or a verification; nil when none runs.
    public var measurementRunning: String? {
        if benchmarkRunning { return "the bandwidth benchmark runs" }
        if calibrationRun == .running { return "a calibration runs llama-bench" }
        if verifyRun == .running { return "a verification runs llama-bench" }
        return nil
    }

    /// The engine with the shipped rates, which a calibration is fitted against.
    public var shippedEngine: FitEngine { FitEngine(quants: engine.quants, efficiency: shippedEfficiency) }

    /// Answers from now on with `state`'s calibration applied to the shipped rates (with none,
    /// the shipped rates).
    public mutating func calibrate(with state: CalibrationState) {
        engine = FitEngine(quants: engine.quants, efficiency: state.applied(to: shippedEfficiency))
        calibration = state
    }
}

/// A measurement the daemon made, and whether the state directory kept it.
public struct BenchmarkMeasurement: Sendable {
    public var report: BandwidthReport
    public var cache: APISnapshot.BenchmarkCache

    public init(report: BandwidthReport, cache: APISnapshot.BenchmarkCache) {
        self.report = report
        self.cache = cache
    }
}
