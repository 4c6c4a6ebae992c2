import CanrunCore
import CanrunProbe
import CanrunShims
import Foundation

/// Measures memory bandwidth as a `BandwidthPlan` says: per run, a team of pinned threads with
/// NUMA-placed buffers streams each kernel until the passes are stable or the run's time budget
/// is spent.
public enum BandwidthBenchmark {
    /// Where a measurement stands, for progress displays.
    public struct Progress: Sendable {
        public var run: String
        public var kernel: StreamKernel
        /// 0…1 of the whole plan's time budget.
        public var fraction: Double
        public var lastRateBytesPerS: Double?
    }

    /// - Parameters:
    ///   - profile: this machine (memory, DIMMs, topology) for sizing and the peak comparison.
    ///   - isCancelled: polled between passes (each well under a second); when it turns true the
    ///     teams are torn down and `BenchmarkError.cancelled` is thrown.
    public static func measure(
        profile: MachineProfile,
        topology facts: TopologyFacts,
        options: BandwidthPlan.Options,
        progress: (Progress) -> Void = { _ in },
        isCancelled: () -> Bool = { false },
        clock: () -> Double = BandwidthBenchmark.monotonicSeconds
    ) throws -> BandwidthReport {
        let plan = try BandwidthPlan(
            topology: facts,
            availableMemoryBytes: profile.memory.availableBytes,
            options: options
        )
        canrun_bench_clear_interrupt()
        func cancelled() -> Bool { isCancelled() || canrun_bench_interrupted() != 0 }
        let before =
            options.quietWaitSeconds > 0
            ? LoadSampler.waitForQuiet(limit: options.quietWaitSeconds, isCancelled: cancelled) : nil
        let loadAtStart = LoadSampler.sample()
        let topology = try LiveTopology()
        let started = clock()
        let budgets = plan.secondsPerKernel
        var spent = 0.0
        var results: [BandwidthReport.RunResult] = []
        for (index, run) in plan.runs.enumerated() {
            if cancelled() { throw BenchmarkError.cancelled }
            let team: BenchmarkTeam
            do {
                team = try BenchmarkTeam(
                    topology: topology,
                    pus: run.pus,
                    memoryNode: run.memoryNode,
                    arrays: run.kernels.map(\.arrays).max() ?? 1,
                    bytesPerArray: run.bytesPerArray
                )
            } catch BenchmarkError.team(let message) where cancelled() {
                _ = message
                throw BenchmarkError.cancelled
            }
            var kernels: [BandwidthReport.KernelResult] = []
            for kernel in run.kernels {
                let policy = MeasurementPolicy(budgetSeconds: budgets[index])
                let kernelStart = clock()
                var rates: [Double] = []
                for _ in 0..<policy.warmupPasses { _ = try team.pass(kernel) }
                while true {
                    if cancelled() { throw BenchmarkError.cancelled }
                    let seconds = try team.pass(kernel)
                    rates.append(Double(team.countedBytes(kernel)) / seconds)
                    let elapsed = clock() - kernelStart
                    progress(
                        Progress(
                            run: run.label,
                            kernel: kernel,
                            fraction: min(1, (spent + elapsed) / plan.budgetSeconds),
                            lastRateBytesPerS: rates.last
                        )
                    )
                    if policy.decide(rates: rates, elapsedSeconds: elapsed, lastPassSeconds: seconds) == .stop { break }
                }
                spent += clock() - kernelStart
                if let statistics = PassStatistics(rates: rates) {
                    kernels.append(BandwidthReport.KernelResult(kernel: kernel, statistics: statistics))
                }
            }
            results.append(
                BandwidthReport.RunResult(
                    label: run.label,
                    cpuNode: run.cpuNode,
                    memoryNode: run.memoryNode,
                    threads: run.pus.count,
                    bytesPerArray: team.bytesPerArray,
                    kernels: kernels
                )
            )
        }
        let during = loadAtStart.flatMap { start in
            LoadSampler.sample().flatMap { CPULoad.othersShare(from: start, to: $0) }
        }
        var report = report(results, plan: plan, profile: profile, seconds: clock() - started)
        let othersShare = [before, during].compactMap { $0 }.max()
        report.otherLoad = othersShare.map { ($0 * 1000).rounded() / 1000 }
        report.provisional = othersShare.map { $0 > CPULoad.busyShare }
        return report
    }

    static func report(
        _ runs: [BandwidthReport.RunResult],
        plan: BandwidthPlan,
        profile: MachineProfile,
        seconds: Double
    ) -> BandwidthReport {
        let all = runs.first { $0.label == "all" }
        let total = BandwidthReport.KernelRates(
            readBytesPerS: all?.best(.read) ?? 0,
            copyBytesPerS: all?.best(.copy) ?? 0,
            triadBytesPerS: all?.best(.triad) ?? 0
        )
        let nodeRuns = runs.filter { $0.cpuNode != nil && $0.cpuNode == $0.memoryNode }
        let nodes = nodeRuns.compactMap { run in
            run.cpuNode.map {
                BandwidthReport.NodeBandwidth(
                    node: $0,
                    readBytesPerS: run.best(.read),
                    copyBytesPerS: run.best(.copy),
                    triadBytesPerS: run.best(.triad)
                )
            }
        }
        var matrix: [[Int64]]?
        if nodes.count > 1 {
            let ids = nodes.map(\.node)
            matrix = ids.map { cpu in
                ids.map { memory in
                    runs.first { $0.cpuNode == cpu && $0.memoryNode == memory }?.best(.read) ?? 0
                }
            }
        }
        let peak = profile.memory.theoreticalBandwidthBytesPerS
        var notes: [String] = []
        let unstable = runs.flatMap { run in
            run.kernels.filter { !$0.statistics.stable }.map { "\(run.label) \($0.kernel.rawValue)" }
        }
        if !unstable.isEmpty {
            notes.append(
                "not stable (spread over 2% when the time budget ran out: a noisy or shared machine): \(unstable.joined(separator: ", "))"
            )
        }
        return BandwidthReport(
            threads: all?.threads ?? 0,
            bufferBytes: all?.bytesPerArray ?? 0,
            durationS: seconds,
            nodes: nodes,
            total: total,
            crossNode: matrix,
            measuredAt: Date(),
            kernelIsa: BenchmarkTeam.kernelISA,
            stable: unstable.isEmpty,
            runs: runs,
            theoreticalPeakBytesPerS: peak,
            fractionOfPeak: peak.flatMap {
                $0 > 0 && total.readBytesPerS > 0 ? Double(total.readBytesPerS) / Double($0) : nil
            },
            fingerprint: HardwareFingerprint.of(profile),
            notes: notes
        )
    }

    /// Stops any measurement in progress as soon as possible, also while buffers are being
    /// first-touched. Async-signal-safe: a signal handler may call it.
    public static func interrupt() { canrun_bench_interrupt() }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
