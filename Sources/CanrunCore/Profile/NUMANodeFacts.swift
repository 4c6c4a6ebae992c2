/// One NUMA node: host memory, or (`memoryKind` `gpu`) a GPU's memory the kernel onlined as one.
public struct NUMANodeFacts: Codable, Sendable, Equatable {
    /// The `memoryKind` of GPU memory onlined as a NUMA node.
    public static let gpuMemoryKind = "gpu"

    /// The OS index (`/sys/devices/system/node/nodeN`); not necessarily dense (POWER9 has 0 and 8).
    public var id: Int
    /// Local memory in bytes; `nil` when the source did not say (a CPUID-only topology), `0` for a
    /// node that really has none (a Threadripper die without memory controllers).
    public var memoryBytes: Int64?
    /// Logical CPUs (PU OS indexes) local to this node; empty for CPU-less memory.
    public var cpus: [Int]
    /// This node's row of the SLIT distance matrix, in the order of `numaNodes`; `nil` when absent.
    public var distances: [Int]?
    /// `dram`, `hbm`, `mcdram`, `nvm`, `cxl`, `spm`… from hwloc's subtype or memory tier; `nil`
    /// when the source does not distinguish (ordinary DRAM). `gpu` (`gpuMemoryKind`) marks a
    /// GPU's memory onlined as a NUMA node: such nodes are listed only in
    /// `MachineProfile.gpuMemoryNodes`, never among the host nodes, RAM or CPU placement.
    public var memoryKind: String?
    /// A memory-side cache in front of this node (Optane Memory Mode's DRAM), bytes.
    public var memorySideCacheBytes: Int64?
    /// The package (socket) this node belongs to, when the topology says.
    public var package: Int?

    public init(
        id: Int,
        memoryBytes: Int64?,
        cpus: [Int],
        distances: [Int]? = nil,
        memoryKind: String? = nil,
        memorySideCacheBytes: Int64? = nil,
        package: Int? = nil
    ) {
        self.id = id
        self.memoryBytes = memoryBytes
        self.cpus = cpus
        self.distances = distances
        self.memoryKind = memoryKind
        self.memorySideCacheBytes = memorySideCacheBytes
        self.package = package
    }
}
