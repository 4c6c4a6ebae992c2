/// Everything canrun knows about one machine: the facts every fit decision starts from.
///
/// Encoded as the JSON of `canrun probe --json` and `GET /v1/machine` (snake_case keys, bytes in
/// bytes, rates in bytes per second). A fact the sources did not show is `nil` and encodes as
/// `null`; it is never replaced by a guess. `warnings` says, in words, what could not be read.
public struct MachineProfile: Codable, Sendable, Equatable {
    /// Bumped when a key changes meaning or disappears.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    /// `nil` when no source described the processor (e.g. a replay of `nvidia-smi` output alone).
    public var cpu: CPUFacts?
    public var memory: MemoryFacts
    /// Host NUMA nodes in OS index order. GPU memory exposed as NUMA nodes is not listed here; it
    /// belongs to its GPU.
    public var numaNodes: [NUMANodeFacts]?
    /// GPU memory onlined as CPU-less NUMA nodes (POWER9 + NVLink V100s, Grace Hopper), each
    /// with `memoryKind` `gpu`: not host RAM, not for CPU placement. `nil` when there are none.
    public var gpuMemoryNodes: [NUMANodeFacts]?
    /// Compute GPUs in PCI address order; `nil` when no source could enumerate devices.
    public var gpus: [GPUFacts]?
    /// Accelerators that are not GPUs LLM runtimes can use (NEC Vector Engines, Xeon Phi cards).
    public var otherAccelerators: [AcceleratorFacts]
    /// The measured bandwidth, once a benchmark has run.
    public var bandwidth: BandwidthReport?
    /// Where each group of facts came from, e.g. `"memory.modules": "smbios"`.
    public var sources: [String: String]
    public var warnings: [String]

    public init(
        schemaVersion: Int = MachineProfile.currentSchemaVersion,
        cpu: CPUFacts? = nil,
        memory: MemoryFacts = MemoryFacts(),
        numaNodes: [NUMANodeFacts]? = nil,
        gpuMemoryNodes: [NUMANodeFacts]? = nil,
        gpus: [GPUFacts]? = nil,
        otherAccelerators: [AcceleratorFacts] = [],
        bandwidth: BandwidthReport? = nil,
        sources: [String: String] = [:],
        warnings: [String] = []
    ) {
        self.schemaVersion = schemaVersion
        self.cpu = cpu
        self.memory = memory
        self.numaNodes = numaNodes
        self.gpuMemoryNodes = gpuMemoryNodes
        self.gpus = gpus
        self.otherAccelerators = otherAccelerators
        self.bandwidth = bandwidth
        self.sources = sources
        self.warnings = warnings
    }
}
