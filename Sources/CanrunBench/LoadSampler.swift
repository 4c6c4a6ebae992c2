import CanrunCore
import Foundation

/// Reads the kernel's CPU time counters for `CPULoad`: `/proc/stat` and `/proc/self/stat`.
/// Nil where they cannot be read (not Linux, a confined /proc): then nothing is claimed about
/// the load.
public enum LoadSampler {
    public static func sample() -> CPULoad.Sample? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let machine = CPULoad.machineTicks(procStat: stat),
            let own = (try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8)).flatMap(CPULoad.processTicks)
        else { return nil }
        return CPULoad.Sample(busy: machine.busy, total: machine.total, own: own)
    }

    /// Other programs' share of the CPUs over `seconds` of this thread sleeping.
    public static func othersShare(over seconds: Double) -> Double? {
        guard let before = sample() else { return nil }
        Thread.sleep(forTimeInterval: seconds)
        return sample().flatMap { CPULoad.othersShare(from: before, to: $0) }
    }

    /// Waits, checking for a quarter second at a time with backoff (0.5, 1, 2 s … between
    /// checks), until other programs use under `CPULoad.busyShare` of the CPUs or `limit`
    /// seconds pass; returns the last share seen (nil when unreadable).
    public static func waitForQuiet(limit: Double, isCancelled: () -> Bool) -> Double? {
        var waited = 0.0
        var pause = 0.5
        var share = othersShare(over: 0.25)
        while let busy = share, busy > CPULoad.busyShare, waited + pause <= limit, !isCancelled() {
            Thread.sleep(forTimeInterval: pause)
            waited += pause + 0.25
            pause *= 2
            share = othersShare(over: 0.25)
        }
        return share
    }
}
