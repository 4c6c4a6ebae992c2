import CanrunCore

/// Everything the daemon answers from, loaded at start and replaced whole on reload or after a
/// benchmark: the fit engine and its tables, the catalog and the probed machine.
public struct APISnapshot: Sendable {
    /// Whether a bandwidth measurement exists, is being made, or is still to come.
    public enum Benchmark: String, Sendable, Encodable {
        case ready, running, pending
    }

    public var version: String
    public var engine: FitEngine
    public var catalog: ModelCatalog
    public var machine: MachineProfile
    /// A measurement is being made now.
    public var benchmarkRunning = false

    /// The answer layer over this snapshot's engine and catalog.
    public var advisor: Advisor { Advisor(engine: engine, catalog: catalog) }

    /// Running, else whether the machine has a measurement.
    public var benchmark: Benchmark { benchmarkRunning ? .running : machine.bandwidth == nil ? .pending : .ready }

    public init(version: String, engine: FitEngine, catalog: ModelCatalog, machine: MachineProfile) {
        self.version = version
        self.engine = engine
        self.catalog = catalog
        self.machine = machine
    }
}
