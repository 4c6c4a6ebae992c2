import CanrunCore
import Foundation
import Testing

/// NUMA policies on a two-socket machine described by hand: 64 GiB and 100 / 95 GB/s local read
/// per node, 40 GB/s across, and an all-nodes run of 190 GB/s.
struct NUMAPlanTests {
    static let nodes = [
        NUMANodeFacts(id: 0, memoryBytes: 64 << 30, cpus: [0, 1]),
        NUMANodeFacts(id: 1, memoryBytes: 64 << 30, cpus: [2, 3]),
    ]

    static func bandwidth(
        total: Double,
        cross: [[Int64]]? = [[100_000_000_000, 40_000_000_000], [40_000_000_000, 95_000_000_000]]
    )
        -> BandwidthReport
    {
        var report = FitEngineTests.machine(ramGiB: 128, readGBs: total).bandwidth!
        report.nodes = [
            .init(node: 0, readBytesPerS: 100_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0),
            .init(node: 1, readBytesPerS: 95_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0),
        ]
        report.crossNode = cross
        return report
    }

    static func machine(total: Double) -> MachineProfile {
        var m = FitEngineTests.machine(ramGiB: 128, readGBs: nil)
        m.numaNodes = nodes
        m.bandwidth = bandwidth(total: total)
        return m
    }

    /// Interleave: each node's threads read half locally, half remotely: node 0 gets
    /// 2 ÷ (1/100 + 1/40) = 57.14 GB/s, node 1 2 ÷ (1/95 + 1/40) = 56.30; over the local 195 that
    /// scales the 190 GB/s all-nodes run to 110.5 GB/s.
    @Test func policiesFromTheMeasuredRates() throws {
        let plan = NUMAPlan(nodes: Self.nodes, bandwidth: Self.bandwidth(total: 190))
        #expect(plan.options.map(\.policy) == [.distribute, .isolate, .isolate, .interleave])
        #expect(plan.options[0].readBytesPerS == 190_000_000_000)
        #expect(plan.options[1].capacityBytes == 64 << 30)
        #expect(plan.options[2].numactl == "--cpunodebind=1 --membind=1")
        let interleave = try #require(plan.options.last).readBytesPerS
        let expected = 190e9 * (2 / (1 / 100e9 + 1 / 40e9) + 2 / (1 / 95e9 + 1 / 40e9)) / 195e9
        #expect(abs(Double(interleave) - expected) < 1e3)
        #expect(plan.choice(need: 50 << 30)?.policy == .distribute)
        #expect(plan.choice(need: 200 << 30) == nil)
    }

    @Test func noCrossNodeMatrixNoInterleave() {
        let plan = NUMAPlan(nodes: Self.nodes, bandwidth: Self.bandwidth(total: 190, cross: nil))
        #expect(!plan.options.contains { $0.policy == .interleave })
    }

    @Test func oneNodeHasNoPlan() {
        let plan = NUMAPlan(nodes: [Self.nodes[0]], bandwidth: Self.bandwidth(total: 100))
        #expect(plan.options.isEmpty)
    }

    /// Spread over both sockets the model reads at the all-nodes rate, with the page cache advice.
    @Test func cpuFitDistributesWhenThatIsFastest() throws {
        let m = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        let r = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q8_0", context: 4096),
            machine: Self.machine(total: 190)
        )
        #expect(r.placement.mode == .cpu)
        #expect(r.launch["llama.cpp"] == "-ngl 0 --numa distribute -c 4096")
        #expect(r.launch["numactl"] == nil)
        #expect(r.reasons.contains { $0.contains("drop the page cache") })
        #expect(
            r.reasons.contains { $0.hasPrefix("NUMA one node (node 0): reads 100.0 GB/s, distribute reads 190.0 GB/s") }
        )
    }

    /// When the all-nodes run is slower than one node (cross-socket traffic), one node wins while
    /// the model fits in it.
    @Test func cpuFitIsolatesWhenOneNodeIsFaster() throws {
        let m = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        let r = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q8_0", context: 4096),
            machine: Self.machine(total: 90)
        )
        #expect(r.launch["llama.cpp"] == "-ngl 0 --numa numactl -c 4096")
        #expect(r.launch["numactl"] == "--cpunodebind=0 --membind=0")
        #expect(abs((r.basis.effectiveBandwidthBytesPerS ?? 0) - Int64(100e9 * (r.basis.efficiency ?? 0))) < 10)
    }
}
