/// How busy other programs keep the CPUs, from two readings of the kernel's counters: the
/// machine's (`/proc/stat`'s `cpu` line) and this process's (`/proc/self/stat`'s utime and
/// stime). A bandwidth measured while others stream memory or hold cores reads low (a first
/// run at 11.3 GB/s on a busy VM that reads 33 GB/s once quiet), so the benchmark waits for a
/// quiet machine and marks a reading taken under load as provisional.
public enum CPULoad {
    /// One reading of the counters, in clock ticks (USER_HZ).
    public struct Sample: Sendable, Equatable {
        /// Ticks any CPU spent on work (everything but idle and iowait), summed over CPUs.
        public var busy: UInt64
        /// Every tick summed over CPUs.
        public var total: UInt64
        /// Ticks this process spent on the CPUs (user + system).
        public var own: UInt64

        public init(busy: UInt64, total: UInt64, own: UInt64) {
            self.busy = busy
            self.total = total
            self.own = own
        }
    }

    /// Other programs' share of all CPU time above which a reading is provisional: a quarter of
    /// the machine, a whole core of a 4-vCPU VM, is a load that moves a memory benchmark.
    public static let busyShare = 0.25

    /// `/proc/stat`'s aggregate `cpu` line → (busy, total) ticks; nil when it is not there.
    /// Fields: user nice system idle iowait irq softirq steal (guest time is inside user).
    public static func machineTicks(procStat text: String) -> (busy: UInt64, total: UInt64)? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        let total = fields.reduce(0, +)
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        return (total - idle, total)
    }

    /// `/proc/self/stat` → utime + stime ticks; nil when malformed. The command name, in
    /// parentheses, may hold spaces: fields are counted after its closing parenthesis.
    public static func processTicks(procSelfStat text: String) -> UInt64? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        // After ")": state is field 3, utime field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = UInt64(fields[11]), let stime = UInt64(fields[12]) else { return nil }
        return utime + stime
    }

    /// Other programs' share of all CPU time between two samples, 0 to 1; nil when no time passed.
    public static func othersShare(from a: Sample, to b: Sample) -> Double? {
        guard b.total > a.total else { return nil }
        let busy = Double(b.busy &- a.busy)
        let own = Double(b.own &- a.own)
        return min(1, max(0, (busy - own) / Double(b.total - a.total)))
    }
}
