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

// A profile written by hand for a what-if (`canrun fit --machine FILE`) states what it knows:
// a key left out is a fact not known, as `null` is, and a list left out is empty.
extension MachineProfile {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            schemaVersion: try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? Self.currentSchemaVersion,
            cpu: try c.decodeIfPresent(CPUFacts.self, forKey: .cpu),
            memory: try c.decodeIfPresent(MemoryFacts.self, forKey: .memory) ?? MemoryFacts(),
            numaNodes: try c.decodeIfPresent([NUMANodeFacts].self, forKey: .numaNodes),
            gpuMemoryNodes: try c.decodeIfPresent([NUMANodeFacts].self, forKey: .gpuMemoryNodes),
            gpus: try c.decodeIfPresent([GPUFacts].self, forKey: .gpus),
            otherAccelerators: try c.decodeIfPresent([AcceleratorFacts].self, forKey: .otherAccelerators) ?? [],
            bandwidth: try c.decodeIfPresent(BandwidthReport.self, forKey: .bandwidth),
            sources: try c.decodeIfPresent([String: String].self, forKey: .sources) ?? [:],
            warnings: try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        )
    }

    /// This profile with each GPU that lacks its table facts (memory, bandwidth, unit peaks)
    /// given them from `table`, found by PCI id (`vendor_id`, `device_id`) or by name: a what-if
    /// may name a card and nothing more. Facts the profile states are kept.
    /// - Throws: `UnknownGPU` for a discrete GPU whose memory neither the profile nor the table
    ///   knows, rather than answering as if the card were absent.
    public func completingGPUs(from table: GPUTable) throws(UnknownGPU) -> MachineProfile {
        var out = self
        out.gpus = try gpus?.map { gpu throws(UnknownGPU) in
            var gpu = gpu
            let entry =
                (gpu.vendorId.flatMap { v in gpu.deviceId.flatMap { table.lookup(vendorId: v, deviceId: $0) } })
                ?? gpu.name.flatMap { table.lookup(productName: $0) }
            if let entry {
                let known = GPUFacts(table: entry)
                gpu.vendor = gpu.vendor ?? known.vendor
                gpu.name = gpu.name ?? known.name
                if gpu.memoryBytes == nil, !gpu.unifiedMemory {
                    gpu.memoryBytes = known.memoryBytes
                    gpu.memorySource = known.memoryBytes == nil ? gpu.memorySource : "table"
                }
                if gpu.bandwidthBytesPerS == nil {
                    gpu.bandwidthBytesPerS = known.bandwidthBytesPerS
                    gpu.bandwidthSource = "table"
                }
                gpu.fp16FlopsPerS = gpu.fp16FlopsPerS ?? known.fp16FlopsPerS
                gpu.peaks = gpu.peaks ?? known.peaks
                gpu.architecture = gpu.architecture ?? known.architecture
                gpu.unifiedMemory = gpu.unifiedMemory || known.unifiedMemory
                gpu.pcieLink = gpu.pcieLink ?? known.pcieLink
            }
            if gpu.memoryBytes == nil, !gpu.unifiedMemory {
                throw UnknownGPU(
                    name: gpu.name ?? [gpu.vendorId, gpu.deviceId].compactMap { $0 }.joined(separator: ":")
                )
            }
            return gpu
        }
        return out
    }
}

/// A GPU in a profile file whose memory is known neither there nor in `config/gpus.toml`.
public struct UnknownGPU: Error, Equatable, CustomStringConvertible {
    public var name: String

    public init(name: String) { self.name = name }

    public var description: String {
        "GPU '\(name)' has no memory_bytes, and config/gpus.toml has no GPU of that name or PCI id: "
            + "give its memory_bytes (and bandwidth_bytes_per_s), or name a card the table has"
    }
}
