import Foundation

/// Measured memory bandwidth (`canrun bench --json`, `GET /v1/bandwidth`).
///
/// Byte counting follows STREAM (see `StreamKernel`): read counts 8 bytes per element, copy
/// 2 × 8, triad 3 × 8. Rates are bytes per second; the headline figures are each kernel's best
/// pass, and `runs` holds every run's best, median and spread.
public struct BandwidthReport: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    /// Threads of the all-nodes run.
    public var threads: Int
    /// Bytes per array per thread of the all-nodes run.
    public var bufferBytes: Int64
    public var durationS: Double
    /// One entry per NUMA node with CPUs: threads and memory on that node. Empty on one-node
    /// machines, where `total` is that node.
    public var nodes: [NodeBandwidth]
    /// The all-nodes run: every core, first-touch local memory.
    public var total: KernelRates
    /// `crossNode[i][j]`: read rate with threads on `nodes[i]` and memory on `nodes[j]`; `nil`
    /// on one-node machines.
    public var crossNode: [[Int64]]?
    public var measuredAt: Date
    /// `avx512`, `avx2`, `sse2` or `generic`: the kernels this CPU ran.
    public var kernelIsa: String
    /// False when some kernel's passes never settled under 2% spread (a noisy machine).
    public var stable: Bool
    public var runs: [RunResult]
    /// The SMBIOS peak this machine's DIMMs allow, when known.
    public var theoreticalPeakBytesPerS: Int64?
    /// `total.read` ÷ the theoretical peak.
    public var fractionOfPeak: Double?
    /// The hardware this measurement belongs to (`HardwareFingerprint`).
    public var fingerprint: String
    public var notes: [String]
    /// The all-nodes read rate of earlier measurements of the same hardware, oldest first (at
    /// most `BandwidthReport.historyLength - 1`), kept by the cache; nil before a second one.
    public var earlierReads: [EarlierRead]?
    /// Other programs' share of all CPU time while this was measured (the larger of the quiet
    /// check before it and the run itself, `CPULoad`), 0 to 1; nil when not sampled.
    public var otherLoad: Double?
    /// True when that share was over `CPULoad.busyShare`: the rates may be low, and answers
    /// that rest on them say so (`provisionalNote`); nil when not sampled.
    public var provisional: Bool?

    public init(
        schemaVersion: Int = 1,
        threads: Int,
        bufferBytes: Int64,
        durationS: Double,
        nodes: [NodeBandwidth],
        total: KernelRates,
        crossNode: [[Int64]]?,
        measuredAt: Date,
        kernelIsa: String,
        stable: Bool,
        runs: [RunResult],
        theoreticalPeakBytesPerS: Int64?,
        fractionOfPeak: Double?,
        fingerprint: String,
        notes: [String],
        earlierReads: [EarlierRead]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.threads = threads
        self.bufferBytes = bufferBytes
        self.durationS = durationS
        self.nodes = nodes
        self.total = total
        self.crossNode = crossNode
        self.measuredAt = measuredAt
        self.kernelIsa = kernelIsa
        self.stable = stable
        self.runs = runs
        self.theoreticalPeakBytesPerS = theoreticalPeakBytesPerS
        self.fractionOfPeak = fractionOfPeak
        self.fingerprint = fingerprint
        self.notes = notes
        self.earlierReads = earlierReads
    }

    /// One earlier measurement's headline read rate.
    public struct EarlierRead: Codable, Sendable, Equatable {
        public var measuredAt: Date
        public var readBytesPerS: Int64

        public init(measuredAt: Date, readBytesPerS: Int64) {
            self.measuredAt = measuredAt
            self.readBytesPerS = readBytesPerS
        }
    }

    /// Measurements kept per machine, this one included.
    public static let historyLength = 8

    /// Read rates moving by more than this ratio between measurements of one machine are more
    /// than a benchmark's noise (a stable machine repeats within a few percent).
    public static let unsteadyRatio = 1.25

    /// This report with `earlier`'s measurement (and its history) in front of its own history;
    /// a measurement with another thread count, or without the read kernel, is not comparable,
    /// and the history starts anew. A provisional earlier reading (taken under load) is not
    /// kept: it would make a quiet machine look unsteady for the next measurements.
    public func following(_ earlier: BandwidthReport) -> BandwidthReport {
        var next = self
        guard earlier.threads == threads, earlier.total.readBytesPerS > 0, total.readBytesPerS > 0 else {
            next.earlierReads = nil
            return next
        }
        let previous =
            (earlier.earlierReads ?? [])
            + (earlier.provisional == true
                ? [] : [EarlierRead(measuredAt: earlier.measuredAt, readBytesPerS: earlier.total.readBytesPerS)])
        next.earlierReads = previous.isEmpty ? nil : Array(previous.suffix(Self.historyLength - 1))
        return next
    }

    /// One line for answers whose speeds rest on a reading taken under load; nil otherwise.
    public var provisionalNote: String? {
        guard provisional == true else { return nil }
        let share =
            otherLoad.map { " kept \(ProfileText.decimal($0 * 100, places: 0)) % of the CPUs busy" } ?? " were busy"
        return "the memory bandwidth was measured while other programs\(share): a provisional reading, "
            + "memory-bound speeds may be low; canrun bench measures again (canrun bench --reset forgets the history)"
    }

    /// Said when this machine's read rate moved by more than `unsteadyRatio` over the kept
    /// measurements: a shared or virtual machine whose memory other tenants load, where every
    /// memory-bound speed moves with it.
    public var unsteadyNote: String? {
        let rates = ((earlierReads ?? []).map(\.readBytesPerS) + [total.readBytesPerS]).filter { $0 > 0 }
        guard rates.count >= 2, let low = rates.min(), let high = rates.max(), low > 0,
            Double(high) / Double(low) > Self.unsteadyRatio
        else { return nil }
        return "this machine's measured read bandwidth moved between \(ProfileText.rate(low)) and "
            + "\(ProfileText.rate(high)) over its last \(rates.count) measurements (shared or virtual "
            + "hardware?): memory-bound speeds move with it; this answer uses the latest, \(ProfileText.rate(total.readBytesPerS))"
    }

    /// Best-pass read, copy and triad rates of one run, bytes per second (0 when not measured).
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

    /// One thread set × memory placement and its kernels' statistics.
    public struct RunResult: Codable, Sendable, Equatable {
        public var label: String
        public var cpuNode: Int?
        public var memoryNode: Int?
        public var threads: Int
        public var bytesPerArray: Int64
        public var kernels: [KernelResult]

        public init(
            label: String,
            cpuNode: Int?,
            memoryNode: Int?,
            threads: Int,
            bytesPerArray: Int64,
            kernels: [KernelResult]
        ) {
            self.label = label
            self.cpuNode = cpuNode
            self.memoryNode = memoryNode
            self.threads = threads
            self.bytesPerArray = bytesPerArray
            self.kernels = kernels
        }

        public func best(_ kernel: StreamKernel) -> Int64 {
            kernels.first { $0.kernel == kernel }?.statistics.bestBytesPerS ?? 0
        }
    }

    public struct KernelResult: Codable, Sendable, Equatable {
        public var kernel: StreamKernel
        public var statistics: PassStatistics

        public init(kernel: StreamKernel, statistics: PassStatistics) {
            self.kernel = kernel
            self.statistics = statistics
        }
    }

    /// "measured 62.0 GB/s of 307.2 GB/s possible (20%): 2 channels populated" — or what is
    /// missing to say it.
    public func peakSentence(channels: Int?) -> String {
        let measured = ProfileText.rate(total.readBytesPerS)
        guard let peak = theoreticalPeakBytesPerS, let fraction = fractionOfPeak else {
            return "measured \(measured) read; the DIMMs' theoretical peak is unknown (no SMBIOS memory data)"
        }
        let percent = Int((fraction * 100).rounded())
        let channelText = channels.map { ": \($0) channel\($0 == 1 ? "" : "s") populated" } ?? ""
        return "measured \(measured) read of \(ProfileText.rate(peak)) possible (\(percent)%)\(channelText)"
    }
}
