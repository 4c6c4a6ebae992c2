/// Where llama.cpp's CPU threads and weight pages go on a machine with several NUMA nodes, from
/// the measured per-node and cross-node read rates (`canrun bench`).
///
/// Three policies, each with the read rate decode would see:
/// - `isolate`: threads and memory on one node (`numactl --cpunodebind=N --membind=N`,
///   llama.cpp `--numa numactl`): that node's local rate; the weights must fit its memory.
/// - `distribute`: threads spread over every node (`--numa distribute`). Pages land on the node
///   whose thread touches them first, so with the page cache dropped before the first run each
///   thread reads its own rows locally: the all-nodes rate. A warm page cache keeps pages where an
///   earlier run left them, which is why the launch advice drops it.
/// - `interleave`: pages spread round-robin over the nodes (`numactl --interleave=all`, threads
///   distributed): every node's threads read 1/N of their bytes from each node, so each gets the
///   harmonic mean of its cross-node row; the all-nodes rate scaled by that over the local rates.
///
/// The fastest policy whose memory fits wins.
public struct NUMAPlan: Sendable, Equatable {
    public enum Policy: String, Sendable, Equatable, Codable {
        case isolate, distribute, interleave
    }

    public struct Option: Sendable, Equatable {
        public var policy: Policy
        /// The node `isolate` keeps to.
        public var node: Int?
        /// Read bytes per second decode sees under this policy.
        public var readBytesPerS: Int64
        /// Memory the policy can use, in bytes.
        public var capacityBytes: Int64
        /// llama.cpp's `--numa` value.
        public var llamaFlag: String
        /// What to run llama.cpp under (`numactl` options), when anything.
        public var numactl: String?
    }

    public var options: [Option]

    /// The policies a machine offers; empty on one node or without per-node measurements.
    public init(nodes: [NUMANodeFacts], bandwidth: BandwidthReport?) {
        options = []
        let nodes = nodes.filter { !$0.cpus.isEmpty && ($0.memoryBytes ?? 0) > 0 }
        guard nodes.count > 1, let bw = bandwidth, bw.total.readBytesPerS > 0 else { return }
        let capacity = nodes.reduce(Int64(0)) { $0 + ($1.memoryBytes ?? 0) }
        options.append(
            Option(
                policy: .distribute,
                node: nil,
                readBytesPerS: bw.total.readBytesPerS,
                capacityBytes: capacity,
                llamaFlag: "distribute",
                numactl: nil
            )
        )
        for node in nodes {
            guard let local = bw.nodes.first(where: { $0.node == node.id }), local.readBytesPerS > 0 else { continue }
            options.append(
                Option(
                    policy: .isolate,
                    node: node.id,
                    readBytesPerS: local.readBytesPerS,
                    capacityBytes: node.memoryBytes ?? 0,
                    llamaFlag: "numactl",
                    numactl: "--cpunodebind=\(node.id) --membind=\(node.id)"
                )
            )
        }
        if let matrix = bw.crossNode, matrix.count == bw.nodes.count, matrix.allSatisfy({ $0.count == matrix.count }),
            matrix.joined().allSatisfy({ $0 > 0 })
        {
            let n = Double(matrix.count)
            let mixed = matrix.reduce(0.0) { sum, row in sum + n / row.reduce(0.0) { $0 + 1 / Double($1) } }
            let local = matrix.indices.reduce(0.0) { $0 + Double(matrix[$1][$1]) }
            options.append(
                Option(
                    policy: .interleave,
                    node: nil,
                    readBytesPerS: Int64(Double(bw.total.readBytesPerS) * mixed / local),
                    capacityBytes: capacity,
                    llamaFlag: "distribute",
                    numactl: "--interleave=all"
                )
            )
        }
    }

    /// The fastest option that holds `need` bytes, else nil.
    public func choice(need: Int64) -> Option? {
        options.filter { need <= $0.capacityBytes }.max { $0.readBytesPerS < $1.readBytesPerS }
    }

    /// Why `option` lost to `chosen`, in words.
    public static func why(_ option: Option, lostTo chosen: Option, need: Int64) -> String {
        let name = option.node.map { "one node (node \($0))" } ?? option.policy.rawValue
        if need > option.capacityBytes {
            return "NUMA \(name): needs \(ProfileText.bytes(need)), it has \(ProfileText.bytes(option.capacityBytes))"
        }
        return "NUMA \(name): reads \(ProfileText.decimal(Double(option.readBytesPerS) / 1e9, places: 1)) GB/s, "
            + "\(chosen.policy.rawValue) reads \(ProfileText.decimal(Double(chosen.readBytesPerS) / 1e9, places: 1)) GB/s"
    }
}
