/// One compute GPU (a discrete card, one GCD of a multi-die part, or an integrated GPU).
public struct GPUFacts: Codable, Sendable, Equatable {
    /// `DDDD:BB:DD.F`, lowercase hex; `nil` when the source gave none (redacted tool output).
    public var pciAddress: String?
    /// Lowercase 4-digit hex, `nil` when the source did not give it.
    public var vendorId: String?
    public var deviceId: String?
    /// `svid:sdid`, lowercase hex.
    public var subsystemId: String?
    /// `NVIDIA`, `AMD`, `Intel`.
    public var vendor: String?
    public var name: String?
    /// Where `name` came from: `table` (canrun's GPU table), `nvml`, `nvidia-smi`, `rocm-smi`,
    /// `pci.ids`, `hwloc`.
    public var nameSource: String?
    /// Dedicated memory, bytes. `nil` for integrated GPUs and when nothing reported it.
    public var memoryBytes: Int64?
    /// Free at probe time, bytes; only live drivers know it.
    public var memoryFreeBytes: Int64?
    /// Where `memoryBytes` came from: `nvml`, `amdgpu_sysfs`, `xe_sysfs`, `nvidia-smi`,
    /// `rocm-smi`, `hwloc_cuda`, `hwloc_rsmi`, `hwloc_opencl`, `numa_node` (POWER9 GPU memory
    /// nodes) or `table` (canrun's GPU table: nominal, not read from the device).
    public var memorySource: String?
    /// System memory the GPU may map (amdgpu's GTT), bytes: what an APU's runtime can use beyond
    /// its carve-out. Part of system RAM; never add it to RAM.
    public var gttBytes: Int64?
    /// Peak memory bandwidth, bytes per second (NVML bus width × clock, else the table).
    public var bandwidthBytesPerS: Int64?
    public var bandwidthSource: String?
    /// Dense FP16 matrix throughput from the table, FLOP/s.
    public var fp16FlopsPerS: Int64?
    /// Peak rates per execution unit from the table (`GPUPeaks`).
    public var peaks: GPUPeaks?
    public var busWidthBits: Int?
    public var architecture: String?
    /// Host NUMA node the device hangs off; `nil` when unknown (sysfs says -1 on one-node hosts).
    public var numaNode: Int?
    /// True when the GPU's memory is the host's memory (GB10, APUs, integrated GPUs): never add
    /// it to RAM.
    public var unifiedMemory: Bool
    /// PCI class code, 4 hex digits (`0300`, `0302`, `0380`, `1200`).
    public var pciClass: String?
    public var driver: String?
    /// The PCIe link to the host; nil when no source said (integrated GPUs may have one on paper,
    /// which no copy crosses).
    public var pcieLink: PCIeLink?

    public init(
        pciAddress: String? = nil,
        vendorId: String? = nil,
        deviceId: String? = nil,
        subsystemId: String? = nil,
        vendor: String? = nil,
        name: String? = nil,
        nameSource: String? = nil,
        memoryBytes: Int64? = nil,
        memoryFreeBytes: Int64? = nil,
        memorySource: String? = nil,
        gttBytes: Int64? = nil,
        bandwidthBytesPerS: Int64? = nil,
        bandwidthSource: String? = nil,
        fp16FlopsPerS: Int64? = nil,
        peaks: GPUPeaks? = nil,
        busWidthBits: Int? = nil,
        architecture: String? = nil,
        numaNode: Int? = nil,
        unifiedMemory: Bool = false,
        pciClass: String? = nil,
        driver: String? = nil,
        pcieLink: PCIeLink? = nil
    ) {
        self.pciAddress = pciAddress
        self.vendorId = vendorId
        self.deviceId = deviceId
        self.subsystemId = subsystemId
        self.vendor = vendor
        self.name = name
        self.nameSource = nameSource
        self.memoryBytes = memoryBytes
        self.memoryFreeBytes = memoryFreeBytes
        self.memorySource = memorySource
        self.gttBytes = gttBytes
        self.bandwidthBytesPerS = bandwidthBytesPerS
        self.bandwidthSource = bandwidthSource
        self.fp16FlopsPerS = fp16FlopsPerS
        self.peaks = peaks
        self.busWidthBits = busWidthBits
        self.architecture = architecture
        self.numaNode = numaNode
        self.unifiedMemory = unifiedMemory
        self.pciClass = pciClass
        self.driver = driver
        self.pcieLink = pcieLink
    }
}

/// A PCI accelerator that LLM runtimes cannot use as a GPU (vector engines, Xeon Phi cards).
public struct AcceleratorFacts: Codable, Sendable, Equatable {
    public var pciAddress: String?
    public var vendorId: String
    public var deviceId: String
    public var pciClass: String
    public var name: String?
    public var memoryBytes: Int64?

    public init(
        pciAddress: String?,
        vendorId: String,
        deviceId: String,
        pciClass: String,
        name: String?,
        memoryBytes: Int64?
    ) {
        self.pciAddress = pciAddress
        self.vendorId = vendorId
        self.deviceId = deviceId
        self.pciClass = pciClass
        self.name = name
        self.memoryBytes = memoryBytes
    }
}

extension GPUFacts {
    /// A card as `config/gpus.toml` describes it: its memory (none for a unified part: the
    /// host's), bandwidth, unit peaks, architecture and host link, each from the table.
    public init(table entry: GPUTable.Entry) {
        self.init(
            vendor: entry.vendor,
            name: entry.name,
            nameSource: "table",
            memoryBytes: entry.isUnified ? nil : entry.memoryBytes,
            memorySource: "table",
            bandwidthBytesPerS: entry.bandwidthBytesPerS,
            bandwidthSource: "table",
            fp16FlopsPerS: entry.fp16FlopsPerS,
            peaks: entry.peaks,
            architecture: entry.architecture,
            unifiedMemory: entry.isUnified,
            pcieLink: entry.isUnified ? nil : entry.pcieLink
        )
    }

    // A what-if profile may name a card and nothing more (`MachineProfile.completingGPUs`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            pciAddress: try c.decodeIfPresent(String.self, forKey: .pciAddress),
            vendorId: try c.decodeIfPresent(String.self, forKey: .vendorId),
            deviceId: try c.decodeIfPresent(String.self, forKey: .deviceId),
            subsystemId: try c.decodeIfPresent(String.self, forKey: .subsystemId),
            vendor: try c.decodeIfPresent(String.self, forKey: .vendor),
            name: try c.decodeIfPresent(String.self, forKey: .name),
            nameSource: try c.decodeIfPresent(String.self, forKey: .nameSource),
            memoryBytes: try c.decodeIfPresent(Int64.self, forKey: .memoryBytes),
            memoryFreeBytes: try c.decodeIfPresent(Int64.self, forKey: .memoryFreeBytes),
            memorySource: try c.decodeIfPresent(String.self, forKey: .memorySource),
            gttBytes: try c.decodeIfPresent(Int64.self, forKey: .gttBytes),
            bandwidthBytesPerS: try c.decodeIfPresent(Int64.self, forKey: .bandwidthBytesPerS),
            bandwidthSource: try c.decodeIfPresent(String.self, forKey: .bandwidthSource),
            fp16FlopsPerS: try c.decodeIfPresent(Int64.self, forKey: .fp16FlopsPerS),
            peaks: try c.decodeIfPresent(GPUPeaks.self, forKey: .peaks),
            busWidthBits: try c.decodeIfPresent(Int.self, forKey: .busWidthBits),
            architecture: try c.decodeIfPresent(String.self, forKey: .architecture),
            numaNode: try c.decodeIfPresent(Int.self, forKey: .numaNode),
            unifiedMemory: try c.decodeIfPresent(Bool.self, forKey: .unifiedMemory) ?? false,
            pciClass: try c.decodeIfPresent(String.self, forKey: .pciClass),
            driver: try c.decodeIfPresent(String.self, forKey: .driver),
            pcieLink: try c.decodeIfPresent(PCIeLink.self, forKey: .pcieLink)
        )
    }
}
