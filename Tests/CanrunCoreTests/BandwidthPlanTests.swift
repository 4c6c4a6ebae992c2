import CanrunCore
import Foundation
import Testing

struct BandwidthPlanTests {
    private func topology(_ name: String) throws -> TopologyFacts {
        try HwlocXMLDecoder.decode(try CoreFixtures.data("hwloc-xml/" + name))
    }

    /// Dell R740, 2 × Xeon Gold 6230 in SNC2 (4 nodes, 40 cores, L3 27.5 MiB per package as
    /// recorded): 4 per-node runs, the all-cores run, and 12 cross-node cells (read only).
    /// 4 × 55 MiB L3 = 220 MiB < the 512 MiB minimum, so each run streams 512 MiB in all.
    @Test func multiNodeMachinesGetPerNodeRunsAndAMatrix() throws {
        let t = try topology("memorysidecaches.xml")
        let plan = try BandwidthPlan(topology: t, availableMemoryBytes: nil, options: .init())
        #expect(plan.lastLevelCacheBytes == 2 * 28_835_840)
        #expect(plan.runs.map(\.label).prefix(5) == ["node0", "node1", "node2", "node3", "all"])
        #expect(plan.runs.count == 4 + 1 + 12)
        #expect(plan.runs[4].pus.count == 40)
        #expect(plan.runs[0].pus.count == 10)
        // 512 MiB over 10 threads = 51.2 MiB, rounded up to whole 2 MiB pages: 52 MiB.
        #expect(plan.runs[0].bytesPerArray == 52 << 20)
        #expect(plan.runs[4].bytesPerArray == 14 << 20)
        #expect(plan.runs.last?.kernels == [.read])
        #expect(plan.runs.last?.label == "node3→node2")
        let budgets = plan.secondsPerKernel
        #expect(abs(zip(plan.runs, budgets).reduce(0) { $0 + Double($1.0.kernels.count) * $1.1 } - 7) < 1e-9)
    }

    /// EPYC 7A53 (tioga): 8 L3 of 32 MiB = 256 MiB; 4× = 1 GiB over 64 cores = 16 MiB each.
    @Test func buffersAreFourTimesTheLastLevelCache() throws {
        let plan = try BandwidthPlan(
            topology: try topology("mpibind-eas-tioga.xml"),
            availableMemoryBytes: nil,
            options: .init(quick: true)
        )
        #expect(plan.lastLevelCacheBytes == 256 << 20)
        #expect(plan.runs.map(\.label) == ["all"])
        #expect(plan.runs[0].pus.count == 64)
        #expect(plan.runs[0].bytesPerArray == 16 << 20)
    }

    @Test func threadsAndBufferCanBeChosen() throws {
        let plan = try BandwidthPlan(
            topology: try topology("mpibind-eas-tioga.xml"),
            availableMemoryBytes: nil,
            options: .init(threads: 1, bytesPerArray: 1 << 30, kernels: [.read])
        )
        #expect(plan.runs.count == 1)
        #expect(plan.runs[0].pus == [0])
        #expect(plan.runs[0].bytesPerArray == 1 << 30)
        #expect(plan.runs[0].kernels == [.read])
    }

    @Test func tooLittleFreeMemoryIsAClearError() throws {
        let t = try topology("mpibind-eas-tioga.xml")
        #expect(throws: BandwidthPlan.PlanError.notEnoughMemory(needed: 3 << 30, available: 4 << 30)) {
            try BandwidthPlan(topology: t, availableMemoryBytes: 4 << 30, options: .init(quick: true))
        }
        #expect(throws: BandwidthPlan.PlanError.noTopology) {
            try BandwidthPlan(topology: TopologyFacts(), availableMemoryBytes: nil, options: .init())
        }
    }
}

struct PassStatisticsTests {
    /// STREAM counting (McCalpin, stream.c: bytes[] = {2, 2, 3, 3} × sizeof(double) for Copy,
    /// Scale, Add, Triad); canrun's read kernel loads one array.
    @Test func byteAccounting() {
        #expect(StreamKernel.read.countedBytes(bytesPerArray: 1 << 20) == 1 << 20)
        #expect(StreamKernel.copy.countedBytes(bytesPerArray: 1 << 20) == 2 << 20)
        #expect(StreamKernel.triad.countedBytes(bytesPerArray: 1 << 20) == 3 << 20)
    }

    @Test func bestMedianAndSpread() throws {
        let s = try #require(PassStatistics(rates: [10, 30, 20, 40, 50]))
        #expect(s.bestBytesPerS == 50)
        #expect(s.medianBytesPerS == 30)
        #expect(s.passes == 5)
        #expect(!s.stable)
        let steady = try #require(PassStatistics(rates: [100, 101, 100, 99, 100, 100]))
        #expect(steady.stable)
        #expect(steady.medianBytesPerS == 100)
        #expect(PassStatistics(rates: []) == nil)
        #expect(PassStatistics(rates: [1, .nan]) == nil)
    }

    @Test func policyStopsWhenStableOrOutOfTime() {
        let policy = MeasurementPolicy(budgetSeconds: 1)
        #expect(policy.decide(rates: [100, 100], elapsedSeconds: 0.1, lastPassSeconds: 0.05) == .measureAgain)
        #expect(policy.decide(rates: [100, 100, 100, 100, 100], elapsedSeconds: 0.3, lastPassSeconds: 0.05) == .stop)
        #expect(
            policy.decide(rates: [100, 50, 100, 50, 100, 50], elapsedSeconds: 0.5, lastPassSeconds: 0.05)
                == .measureAgain
        )
        #expect(
            policy.decide(rates: [100, 50, 100, 50, 100, 50], elapsedSeconds: 0.98, lastPassSeconds: 0.05) == .stop
        )
        // The minimum number of passes is kept a little past the budget, not forever.
        #expect(policy.decide(rates: [100], elapsedSeconds: 1.2, lastPassSeconds: 0.1) == .measureAgain)
        #expect(policy.decide(rates: [100], elapsedSeconds: 1.6, lastPassSeconds: 0.1) == .stop)
    }

    @Test func fingerprintFollowsTheHardware() {
        var profile = MachineProfile(
            cpu: CPUFacts(model: "AMD EPYC", packages: 1, cores: 2, threads: 2),
            memory: MemoryFacts(totalBytes: 24 << 30 + 123_456)
        )
        let a = HardwareFingerprint.of(profile)
        profile.memory.totalBytes = 24 << 30 + 999_999
        #expect(HardwareFingerprint.of(profile) == a)
        profile.memory.totalBytes = 48 << 30
        #expect(HardwareFingerprint.of(profile) != a)
        #expect(a.count == 16)
    }
}
