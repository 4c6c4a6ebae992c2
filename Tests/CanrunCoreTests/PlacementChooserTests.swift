import Foundation
import Testing

@testable import CanrunCore

/// The chooser on its own: candidates made by hand, each with a decode cost whose speed is
/// plain arithmetic (bytes ÷ rate).
struct PlacementChooserTests {
    /// A candidate decoding at `tokensPerS` (one device reading 1 GB at that many GB/s), or at an
    /// unknown speed when nil.
    static func candidate(
        _ mode: PlacementMode,
        fits: Bool = true,
        tokensPerS: Double?,
        gpuLayers: Int = 0
    ) -> PlacementCandidate {
        PlacementCandidate(
            mode: mode,
            fits: fits,
            fitsNow: nil,
            gpuLayers: gpuLayers,
            shares: [],
            gpusUsed: [],
            decode: DecodeCost(
                shares: [
                    .init(
                        device: .cpu,
                        weightBytes: 1_000_000_000,
                        kvFraction: 1,
                        bandwidthBytesPerS: tokensPerS.map { Int64($0 * 1e9) },
                        efficiency: 1
                    )
                ],
                layers: 0,
                perLayerSeconds: 0
            ),
            basis: .init(
                bandwidthSource: "table",
                effectiveBandwidthBytesPerS: nil,
                bytesPerToken: 0,
                efficiency: nil,
                perLayerSeconds: nil,
                notes: []
            ),
            why: .noMemoryFigure,
            flags: ""
        )
    }

    @Test func fittingComesFirstThenFasterThenMoreOnGPUs() {
        let ranked = PlacementChooser.ranked([
            Self.candidate(.gpu, fits: false, tokensPerS: 100, gpuLayers: 33),
            Self.candidate(.cpu, tokensPerS: 5),
            Self.candidate(.partialOffload, tokensPerS: 12, gpuLayers: 20),
            Self.candidate(.moeExpertsOnCPU, tokensPerS: nil, gpuLayers: 33),
            Self.candidate(.unified, tokensPerS: nil, gpuLayers: 10),
        ])
        #expect(ranked.map(\.mode) == [.partialOffload, .cpu, .moeExpertsOnCPU, .unified, .gpu])
        #expect(PlacementChooser.best(of: ranked)?.mode == .partialOffload)
    }

    @Test func equalCandidatesKeepTheirOrder() {
        let ranked = PlacementChooser.ranked([
            Self.candidate(.cpu, tokensPerS: 8), Self.candidate(.unified, tokensPerS: 8),
        ])
        #expect(ranked.map(\.mode) == [.cpu, .unified])
    }

    /// Experts in RAM win over partial offload within 10 % of its decode speed, not beyond.
    @Test(arguments: [(9.0, PlacementMode.moeExpertsOnCPU), (8.9, .partialOffload)])
    func expertsInRAMWinWithinTenPercent(_ moeSpeed: Double, _ expected: PlacementMode) {
        let ranked = PlacementChooser.ranked([
            Self.candidate(.partialOffload, tokensPerS: 10), Self.candidate(.moeExpertsOnCPU, tokensPerS: moeSpeed),
        ])
        #expect(PlacementChooser.best(of: ranked)?.mode == expected)
    }

    /// A fitting unified placement wins over CPU only however fast the CPU figure is; one that
    /// does not fit does not.
    @Test(arguments: [true, false])
    func unifiedWinsOverCPUOnlyWhenItFits(_ unifiedFits: Bool) {
        let ranked = PlacementChooser.ranked([
            Self.candidate(.cpu, tokensPerS: 50), Self.candidate(.unified, fits: unifiedFits, tokensPerS: 20),
        ])
        #expect(PlacementChooser.best(of: ranked)?.mode == (unifiedFits ? .unified : .cpu))
    }

    @Test func nothingFitsGivesTheFirstAndNoCandidateGivesNil() {
        let ranked = PlacementChooser.ranked([
            Self.candidate(.cpu, fits: false, tokensPerS: 1), Self.candidate(.gpu, fits: false, tokensPerS: 90),
        ])
        #expect(PlacementChooser.best(of: ranked)?.mode == .gpu)
        #expect(PlacementChooser.best(of: []) == nil)
    }
}

struct PlacementValuesTests {
    @Test func verdictsOrderFromWorstToBestAndFollowTheSpeed() {
        #expect(Verdict.allCases.sorted() == [.doesNotFit, .runsSlowly, .runs, .runsWell])
        #expect(Verdict(fittingAt: 10) == .runsWell)
        #expect(Verdict(fittingAt: 9.99) == .runs)
        #expect(Verdict(fittingAt: 3) == .runs)
        #expect(Verdict(fittingAt: 2.99) == .runsSlowly)
        #expect(Verdict(fittingAt: nil) == .runs)
        #expect(Verdict.doesNotFit.words == "does not fit")
    }

    /// Encoded as the API has always spelled them.
    @Test func valuesEncodeAsTheirWireNames() throws {
        let share = FitReport.DeviceShare(device: .gpu(12), bytes: 5)
        let json = String(decoding: try JSONEncoder().encode(share), as: UTF8.self)
        #expect(json.contains(#""device":"gpu12""#))
        #expect(try JSONDecoder().decode(FitReport.DeviceShare.self, from: Data(json.utf8)) == share)
        #expect(
            PlacementMode.allCases.map(\.rawValue) == [
                "none", "cpu", "unified", "gpu", "multi_gpu", "moe_experts_on_cpu", "partial_offload",
            ]
        )
        #expect(Verdict.allCases.map(\.rawValue) == ["does_not_fit", "runs_slowly", "runs", "runs_well"])
    }

    @Test(arguments: ["gpu", "gpu-1", "gpu01", "GPU0", "ram", ""])
    func anythingElseIsNoDevice(_ text: String) {
        #expect(Device(text) == nil)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FitReport.DeviceShare.self, from: Data(#"{"device":"\#(text)","bytes":1}"#.utf8))
        }
    }

    /// Two devices in turn plus the per-layer cost and the copies: 1 GB at 100 GB/s × 0.5 is
    /// 20 ms; 0.5 GB of RAM at 50 GB/s × 1 is 10 ms, but its cores take 15 ms; 32 layers × 0.1 ms
    /// and 2 copies of 10 µs + 16 KiB at 16 GB/s (20 GB/s × 0.8); KV is split 3 : 1.
    @Test func decodeCostAddsTheDevicesInTurn() throws {
        let rate = PCIeCopyRate(PCIeLink(gigabytesPerS: 20, source: "test"))
        let cost = DecodeCost(
            shares: [
                .init(
                    device: .gpu(0),
                    weightBytes: 1_000_000_000,
                    kvFraction: 0.75,
                    bandwidthBytesPerS: 100_000_000_000,
                    efficiency: 0.5
                ),
                .init(
                    device: .cpu,
                    weightBytes: 500_000_000,
                    kvFraction: 0.25,
                    bandwidthBytesPerS: 50_000_000_000,
                    efficiency: 1,
                    computeSeconds: 0.015
                ),
            ],
            layers: 32,
            perLayerSeconds: 1e-4,
            transfer: ActivationTransfer(copiesPerToken: 2, hiddenSize: 4096, rate: rate)
        )
        let copies = 2 * (10e-6 + 16384 / rate.bytesPerS)
        #expect(rate.bytesPerS == 16e9)
        let atDepth0 = try #require(cost.tokensPerSecond(kvBytes: 0))
        #expect(abs(1 / atDepth0 - (0.0032 + copies + 0.02 + 0.015)) < 1e-12)
        // 400 MB of KV: 300 MB more on the GPU (6 ms), 100 MB in RAM (still below the cores' 15 ms).
        let deep = try #require(cost.tokensPerSecond(kvBytes: 400_000_000))
        #expect(abs(1 / deep - (0.0032 + copies + 0.026 + 0.015)) < 1e-12)
        var unknown = cost
        unknown.shares[1].bandwidthBytesPerS = nil
        #expect(unknown.tokensPerSecond(kvBytes: 0) == nil)
    }

    /// A GPU's kernels add their arithmetic to the stream: 8 × 10^9 weights at 80 TFLOPS FP32 and
    /// 0.2 weights per FLOP take 0.5 ms on top of the 4 GB at 1 TB/s × 0.8 (5 ms); unknown FP32
    /// rate or κ, no term.
    @Test func aGPUsArithmeticAddsToItsStream() throws {
        var share = DecodeCost.Share(
            device: .gpu(0),
            weightBytes: 4_000_000_000,
            kvFraction: 1,
            bandwidthBytesPerS: 1_000_000_000_000,
            efficiency: 0.8,
            multipliedWeights: 8_000_000_000,
            fp32FlopsPerS: 80e12,
            weightsPerFP32Flop: 0.2
        )
        let cost = DecodeCost(shares: [share], layers: 0, perLayerSeconds: 0)
        #expect(abs(1 / (try #require(cost.tokensPerSecond(kvBytes: 0))) - 0.0055) < 1e-12)
        share.fp32FlopsPerS = nil
        #expect(share.arithmeticSeconds == 0)
    }
}
