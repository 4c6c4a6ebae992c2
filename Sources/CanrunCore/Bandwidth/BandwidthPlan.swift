/// What one `canrun bench` measures on a machine: which thread sets, which memory, how big the
/// buffers, and how much time each kernel may take.
///
/// Buffers: each run's read working set (threads × one array) is at least 4× the machine's
/// last-level cache, as STREAM asks (some CPUs have over 1 GB of L3; VM guests see the host's
/// L3), and at least `minimumWorkingSet`. All arrays of a run together may use at most
/// `memoryShare` of the available memory; a machine too small for that gets a clear error.
public struct BandwidthPlan: Sendable, Equatable {
    public struct Run: Sendable, Equatable {
        /// `node0`, `all`, `node0→node1`.
        public var label: String
        /// The NUMA node whose cores run the threads; `nil` for all nodes.
        public var cpuNode: Int?
        /// The NUMA node the buffers are bound to; `nil` for first-touch local memory.
        public var memoryNode: Int?
        /// One PU OS index per thread (the first PU of each core).
        public var pus: [Int]
        public var bytesPerArray: Int64
        public var kernels: [StreamKernel]
    }

    public enum PlanError: Error, Equatable, CustomStringConvertible {
        case noTopology
        case notEnoughMemory(needed: Int64, available: Int64)

        public var description: String {
            switch self {
            case .noTopology: "the CPU topology is unknown, so threads cannot be placed: is hwloc working?"
            case .notEnoughMemory(let needed, let available):
                "not enough free memory to measure bandwidth: the buffers need \(needed) bytes (4× the last-level cache, at most half of what is free) but \(available) bytes are available; free some memory or pass a smaller --buffer"
            }
        }
    }

    public struct Options: Sendable, Equatable {
        /// Threads in the all-nodes run (first cores first); `nil` = one per core.
        public var threads: Int?
        /// Bytes per array per thread; `nil` = sized from the cache.
        public var bytesPerArray: Int64?
        public var kernels: [StreamKernel]
        /// Total seconds for all kernels of all runs.
        public var budgetSeconds: Double
        /// Measure only the all-nodes run (and no cross-node matrix).
        public var quick: Bool
        /// At most this long, seconds, to wait (checking with backoff) for other programs to
        /// leave the CPUs before measuring (`CPULoad.busyShare`); 0: measure at once.
        public var quietWaitSeconds: Double

        public init(
            threads: Int? = nil,
            bytesPerArray: Int64? = nil,
            kernels: [StreamKernel] = StreamKernel.allCases,
            budgetSeconds: Double = 7,
            quick: Bool = false,
            quietWaitSeconds: Double = 0
        ) {
            self.threads = threads
            self.bytesPerArray = bytesPerArray
            self.kernels = kernels
            self.budgetSeconds = budgetSeconds
            self.quick = quick
            self.quietWaitSeconds = quietWaitSeconds
        }
    }

    public static let minimumWorkingSet: Int64 = 512 << 20
    public static let memoryShare = 0.5
    /// Arrays are rounded to whole 2 MiB huge pages.
    static let granule: Int64 = 2 << 20

    public var runs: [Run]
    public var budgetSeconds: Double
    public var lastLevelCacheBytes: Int64

    public init(topology: TopologyFacts, availableMemoryBytes: Int64?, options: Options) throws {
        guard !topology.coreCPUs.isEmpty else { throw PlanError.noTopology }
        let levels = topology.caches.filter { $0.kind != "instruction" }
        let top = levels.map(\.level).max()
        lastLevelCacheBytes = levels.filter { $0.level == top }.reduce(0) { $0 + $1.sizeBytes * Int64($1.count) }
        budgetSeconds = options.budgetSeconds
        let firstPUs = topology.coreCPUs.compactMap { $0.min() }
        let cpuNodes = topology.numaNodes.filter { !$0.cpus.isEmpty }
        func pus(of node: NUMANodeFacts) -> [Int] { firstPUs.filter { Set(node.cpus).contains($0) } }

        var runs: [Run] = []
        let allPUs = options.threads.map { Array(firstPUs.prefix(max(1, $0))) } ?? firstPUs
        let multiNode = cpuNodes.count > 1 && options.threads == nil && !options.quick
        if multiNode {
            for node in cpuNodes {
                runs.append(
                    Run(
                        label: "node\(node.id)",
                        cpuNode: node.id,
                        memoryNode: node.id,
                        pus: pus(of: node),
                        bytesPerArray: 0,
                        kernels: options.kernels
                    )
                )
            }
        }
        runs.append(
            Run(label: "all", cpuNode: nil, memoryNode: nil, pus: allPUs, bytesPerArray: 0, kernels: options.kernels)
        )
        if multiNode {
            let memoryNodes = topology.numaNodes.filter { ($0.memoryBytes ?? 0) > 0 }
            for cpu in cpuNodes {
                for memory in memoryNodes where memory.id != cpu.id {
                    runs.append(
                        Run(
                            label: "node\(cpu.id)→node\(memory.id)",
                            cpuNode: cpu.id,
                            memoryNode: memory.id,
                            pus: pus(of: cpu),
                            bytesPerArray: 0,
                            kernels: [.read]
                        )
                    )
                }
            }
        }
        var largestAllocation: Int64 = 0
        for index in runs.indices {
            let threads = Int64(max(1, runs[index].pus.count))
            let wanted =
                options.bytesPerArray ?? max(4 * lastLevelCacheBytes, BandwidthPlan.minimumWorkingSet) / threads
            let rounded = max(
                BandwidthPlan.granule,
                (wanted + BandwidthPlan.granule - 1) / BandwidthPlan.granule * BandwidthPlan.granule
            )
            runs[index].bytesPerArray = rounded
            // One team serves all kernels of a run: it holds the arrays of the widest kernel.
            let arrays = Int64(runs[index].kernels.map(\.arrays).max() ?? 1)
            largestAllocation = max(largestAllocation, arrays * rounded * threads)
        }
        if let available = availableMemoryBytes,
            Double(largestAllocation) > Double(available) * BandwidthPlan.memoryShare
        {
            throw PlanError.notEnoughMemory(needed: largestAllocation, available: available)
        }
        self.runs = runs.filter { !$0.pus.isEmpty }
    }

    /// Seconds each kernel of each run may take, so the whole plan fits `budgetSeconds`.
    /// Cross-node cells get a quarter share: they answer a coarser question.
    public var secondsPerKernel: [Double] {
        let weights = runs.map { run in
            Double(run.kernels.count) * (run.memoryNode != run.cpuNode && run.cpuNode != nil ? 0.25 : 1)
        }
        let total = weights.reduce(0, +)
        return runs.indices.map { budgetSeconds * (weights[$0] / total) / Double(runs[$0].kernels.count) }
    }
}
