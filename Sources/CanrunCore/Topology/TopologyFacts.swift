/// What an hwloc topology says about the machine, as plain values.
public struct TopologyFacts: Sendable, Equatable {
    public var architecture: String?
    public var cpuVendor: String?
    public var cpuModel: String?
    public var packages: Int?
    public var cores: Int?
    public var threads: Int?
    /// Host NUMA nodes in OS index order: GPU memory nodes are never among them.
    public var numaNodes: [NUMANodeFacts]
    /// GPU memory that the kernel exposes as CPU-less NUMA nodes (POWER9 with NVLink), in OS
    /// index order.
    public var gpuMemoryNodes: [GPUMemoryNode]
    public var caches: [CacheFacts]
    /// The PU OS indexes of each core, in topology order: the benchmark pins one thread per core.
    public var coreCPUs: [[Int]]
    public var kinds: [CPUKindFacts]
    public var pciDevices: [PCIDeviceRecord]
    /// The Machine object's infos (`DMIProductName`, `Architecture`, …).
    public var machineInfos: [String: String]
    /// Values the file gave that no machine has (`PhysicalBounds`), in words; each became
    /// unknown or was left out.
    public var problems: [String]

    public init(
        architecture: String? = nil,
        cpuVendor: String? = nil,
        cpuModel: String? = nil,
        packages: Int? = nil,
        cores: Int? = nil,
        threads: Int? = nil,
        numaNodes: [NUMANodeFacts] = [],
        gpuMemoryNodes: [GPUMemoryNode] = [],
        caches: [CacheFacts] = [],
        coreCPUs: [[Int]] = [],
        kinds: [CPUKindFacts] = [],
        pciDevices: [PCIDeviceRecord] = [],
        machineInfos: [String: String] = [:],
        problems: [String] = []
    ) {
        self.architecture = architecture
        self.cpuVendor = cpuVendor
        self.cpuModel = cpuModel
        self.packages = packages
        self.cores = cores
        self.threads = threads
        self.numaNodes = numaNodes
        self.gpuMemoryNodes = gpuMemoryNodes
        self.caches = caches
        self.coreCPUs = coreCPUs
        self.kinds = kinds
        self.pciDevices = pciDevices
        self.machineInfos = machineInfos
        self.problems = problems
    }

    /// A NUMA node holding a GPU's memory, tied to the GPU by its PCI address when the file
    /// says it (hwloc 2's `PCIBusID` info; hwloc 1 files do not).
    public struct GPUMemoryNode: Sendable, Equatable {
        public var osIndex: Int
        public var pciAddress: String?
        public var bytes: Int64

        public init(osIndex: Int, pciAddress: String?, bytes: Int64) {
            self.osIndex = osIndex
            self.pciAddress = pciAddress
            self.bytes = bytes
        }
    }
}
