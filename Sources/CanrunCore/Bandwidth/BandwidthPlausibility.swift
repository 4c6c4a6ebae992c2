/// Whether a stored bandwidth measurement could have been measured on this machine. A cache
/// file is input like any other: a forged 5 TB/s, a zero or negative rate, or a NaN would
/// otherwise flow into every speed canrun predicts.
///
/// The ceiling every rate must stay under:
/// - the DIMMs' theoretical peak (SMBIOS) × `peakTolerance` when the peak is known: the
///   configured speed SMBIOS reports can lag a memory overclock (XMP/EXPO) the firmware set;
/// - else `perThreadBytesPerS` × this machine's hardware threads (as probed, not as the file
///   says): no core streams more than that from DRAM today (Apple's and AMD's fastest cores
///   reach about 100–120 GB/s single-threaded);
/// - else, when the thread count is unknown too, `anyMachineBytesPerS`.
public struct BandwidthPlausibility: Sendable, Equatable {
    /// How far above the SMBIOS peak a measurement may be.
    public static let peakTolerance = 1.25
    /// The most one hardware thread is taken to stream, bytes per second.
    public static let perThreadBytesPerS: Int64 = 200_000_000_000
    /// The ceiling for a machine of unknown size: above the largest host-memory systems built
    /// (two 12-channel MRDIMM-8800 sockets give 1.7 TB/s).
    public static let anyMachineBytesPerS: Int64 = 4_000_000_000_000

    /// Bytes per second no rate may exceed.
    public var ceilingBytesPerS: Int64
    /// Where the ceiling comes from, in words.
    public var basis: String
    /// The most threads a measurement of this machine can have used.
    public var maximumThreads: Int

    /// - Parameters:
    ///   - peak: the DIMMs' theoretical peak, bytes per second, when known.
    ///   - threads: this machine's hardware threads, when known.
    public init(peak: Int64?, threads: Int?) {
        let threadCount = threads.flatMap { $0 > 0 ? $0 : nil }
        maximumThreads = threadCount ?? 1 << 20
        if let peak, peak > 0, Double(peak) * Self.peakTolerance < Double(Int64.max) {
            ceilingBytesPerS = Int64(Double(peak) * Self.peakTolerance)
            basis = "the DIMMs' theoretical peak of \(ProfileText.rate(peak)) (+25%)"
        } else if let threadCount {
            let (product, overflow) = Self.perThreadBytesPerS.multipliedReportingOverflow(by: Int64(threadCount))
            ceilingBytesPerS = overflow ? Int64.max : product
            basis = "\(threadCount) thread\(threadCount == 1 ? "" : "s") × \(ProfileText.rate(Self.perThreadBytesPerS))"
        } else {
            ceilingBytesPerS = Self.anyMachineBytesPerS
            basis = "what any machine's memory delivers"
        }
    }

    /// The bounds for `machine` (its probed peak and thread count).
    public init(machine: MachineProfile) {
        self.init(peak: machine.memory.theoreticalBandwidthBytesPerS, threads: machine.cpu?.threads)
    }

    /// Nil when every figure of `report` is possible here, else what is not.
    public func problem(in report: BandwidthReport) -> String? {
        func rate(_ name: String, _ value: Int64, zeroAllowed: Bool = true) -> String? {
            if value < 0 || (value == 0 && !zeroAllowed) {
                return "\(name) of \(value) bytes/s is not a rate (it must be positive)"
            }
            if value > ceilingBytesPerS {
                return
                    "\(name) of \(ProfileText.rate(value)) is above the \(ProfileText.rate(ceilingBytesPerS)) this machine can reach (\(basis))"
            }
            return nil
        }
        var checks: [String?] = []
        // The read rate is the one fits use: it must be measured. Copy and triad are 0 when a
        // run left those kernels out.
        checks.append(rate("read", report.total.readBytesPerS, zeroAllowed: false))
        checks.append(rate("copy", report.total.copyBytesPerS))
        checks.append(rate("triad", report.total.triadBytesPerS))
        for node in report.nodes {
            checks.append(rate("node \(node.node) read", node.readBytesPerS))
            checks.append(rate("node \(node.node) copy", node.copyBytesPerS))
            checks.append(rate("node \(node.node) triad", node.triadBytesPerS))
        }
        for (i, row) in (report.crossNode ?? []).enumerated() {
            for (j, value) in row.enumerated() { checks.append(rate("cross-node read [\(i)][\(j)]", value)) }
        }
        for run in report.runs {
            for kernel in run.kernels {
                let name = "run \(run.label) \(kernel.kernel.rawValue)"
                checks.append(rate(name + " best", kernel.statistics.bestBytesPerS))
                checks.append(rate(name + " median", kernel.statistics.medianBytesPerS))
                let cv = kernel.statistics.coefficientOfVariation
                if !cv.isFinite || cv < 0 { checks.append("\(name) spread \(cv) is not a spread") }
            }
        }
        for earlier in report.earlierReads ?? [] {
            checks.append(rate("earlier read", earlier.readBytesPerS, zeroAllowed: false))
        }
        if report.threads < 1 || report.threads > maximumThreads {
            checks.append("\(report.threads) threads is not a thread count of this machine (1…\(maximumThreads))")
        }
        if !report.durationS.isFinite || report.durationS < 0 {
            checks.append("a duration of \(report.durationS) s is not a duration")
        }
        if let fraction = report.fractionOfPeak, !(fraction.isFinite && fraction >= 0 && fraction <= 10) {
            checks.append("a fraction of peak of \(fraction) is not a fraction")
        }
        return checks.compactMap { $0 }.first
    }
}
