/// Which NUMA nodes of a topology hold GPU memory rather than host RAM.
///
/// NVIDIA's driver onlines the memory of NVLink-attached GPUs as CPU-less NUMA nodes on
/// POWER9 (IBM AC922: LLNL Sierra and Lassen, ORNL Summit, nodes 250–255) and on Grace Hopper.
/// The kernel then counts that memory in `MemTotal` and `numactl` lists it beside the sockets'
/// nodes, yet no CPU can use it as RAM for a model's weights at host speed.
/// - hwloc 2 marks such nodes `subtype="GPUMemory"` with a `PCIBusID` info (hwloc ≥ 2.3, and
///   only with `HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES=1`; by default it hides them).
/// - hwloc 1 (still what many POWER9 clusters ran, 1.11) shows them as plain NUMA nodes with an
///   empty cpuset. They are recognised here by what only such machines combine: a POWER CPU,
///   NVIDIA GPUs in the PCI tree, and CPU-less nodes with memory, no more of them than GPUs.
///   Without the PCI tree (an export without I/O) the nodes cannot be told from the
///   memory-only nodes PowerVM partitions have, and stay host memory.
enum GPUMemoryNodeRule {
    struct Node {
        var osIndex: Int
        var subtype: String?
        var hasCPUs: Bool
        var memory: Int64?
    }

    /// The OS indexes of the nodes that hold GPU memory.
    static func gpuMemoryNodes(
        _ nodes: [Node],
        architecture: String?,
        cpuModel: String?,
        pciDevices: [PCIDeviceRecord]
    ) -> Set<Int> {
        let tagged = nodes.filter { $0.subtype == "GPUMemory" }
        if !tagged.isEmpty { return Set(tagged.map(\.osIndex)) }
        let power =
            (architecture?.lowercased().hasPrefix("ppc64") ?? false)
            || (cpuModel?.uppercased().hasPrefix("POWER") ?? false)
        let nvidiaGPUs = pciDevices.filter { $0.vendorId == 0x10DE && GPUClassifier.classify($0) == .gpu }.count
        let cpuLess = nodes.filter { $0.subtype == nil && !$0.hasCPUs && ($0.memory ?? 0) > 0 }
        guard power, nvidiaGPUs > 0, !cpuLess.isEmpty, cpuLess.count <= nvidiaGPUs else { return [] }
        return Set(cpuLess.map(\.osIndex))
    }
}
