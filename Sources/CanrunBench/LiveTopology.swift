import CHwloc
import Foundation

/// This machine's hwloc topology, kept loaded while the benchmark binds threads and memory.
/// Not `Sendable`: hwloc handles stay on the thread that loaded them; the C workers only read it.
final class LiveTopology {
    let handle: hwloc_topology_t

    init() throws {
        var topology: hwloc_topology_t?
        guard hwloc_topology_init(&topology) == 0, let topology else {
            throw BenchmarkError.topology("hwloc could not initialise a topology")
        }
        guard hwloc_topology_load(topology) == 0 else {
            hwloc_topology_destroy(topology)
            throw BenchmarkError.topology("hwloc could not load this machine's topology (errno \(errno))")
        }
        handle = topology
    }

    deinit { hwloc_topology_destroy(handle) }
}
