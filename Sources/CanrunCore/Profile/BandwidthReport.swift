import Foundation

/// Measured memory bandwidth (`canrun bench --json`, `GET /v1/bandwidth`).
///
/// Byte counting follows STREAM: read counts 8 bytes per element, copy 2 × 8 (read one array,
/// write another), triad 3 × 8. Rates are bytes per second.
public struct BandwidthReport: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var threads: Int
    public var bufferBytes: Int64
    public var durationS: Double
    public var nodes: [NodeBandwidth]
    public var total: KernelRates
    /// `crossNode[i][j]`: read rate with threads on node i and memory on node j; `nil` on one node.
    public var crossNode: [[Int64]]?
    public var measuredAt: Date

    public init(
        schemaVersion: Int = 1,
        threads: Int,
        bufferBytes: Int64,
        durationS: Double,
        nodes: [NodeBandwidth],
        total: KernelRates,
        crossNode: [[Int64]]?,
        measuredAt: Date
    ) {
        self.schemaVersion = schemaVersion
        self.threads = threads
        self.bufferBytes = bufferBytes
        self.durationS = durationS
        self.nodes = nodes
        self.total = total
        self.crossNode = crossNode
        self.measuredAt = measuredAt
    }

    /// Read, copy and triad rates of one run, bytes per second.
    public struct KernelRates: Codable, Sendable, Equatable {
        public var readBytesPerS: Int64
        public var copyBytesPerS: Int64
        public var triadBytesPerS: Int64

        public init(readBytesPerS: Int64, copyBytesPerS: Int64, triadBytesPerS: Int64) {
            self.readBytesPerS = readBytesPerS
            self.copyBytesPerS = copyBytesPerS
            self.triadBytesPerS = triadBytesPerS
        }
    }

    /// The rates with threads and memory on one NUMA node.
    public struct NodeBandwidth: Codable, Sendable, Equatable {
        public var node: Int
        public var readBytesPerS: Int64
        public var copyBytesPerS: Int64
        public var triadBytesPerS: Int64

        public init(node: Int, readBytesPerS: Int64, copyBytesPerS: Int64, triadBytesPerS: Int64) {
            self.node = node
            self.readBytesPerS = readBytesPerS
            self.copyBytesPerS = copyBytesPerS
            self.triadBytesPerS = triadBytesPerS
        }
    }
}
