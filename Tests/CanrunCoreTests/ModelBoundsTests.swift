import CanrunCore
import Foundation
import Testing

/// `ModelBounds` promise that no size the engine derives from valid facts can overflow: this
/// suite fits models at the corners of the valid space (each fact at its bound, and the
/// aggregate bounds of weights and KV per token reached) on machines small and large, at the
/// largest context, through every placement, every quantization and the max-context search.
/// Swift traps on overflow, so a broken promise crashes this test.
struct ModelBoundsTests {
    /// A dense model of `layers` blocks with the other facts given.
    static func dense(
        layers: Int,
        hidden: Int,
        ffn: Int,
        heads: Int,
        kvHeads: Int,
        headDim: Int,
        vocab: Int = ModelBounds.vocab.upperBound,
        context: Int = ModelBounds.context.upperBound
    ) -> ModelSpec {
        ModelSpec(
            id: "corner",
            name: "corner",
            family: "llama",
            numHiddenLayers: layers,
            hiddenSize: hidden,
            intermediateSize: ffn,
            numAttentionHeads: heads,
            numKeyValueHeads: kvHeads,
            headDim: headDim,
            vocabSize: vocab,
            tieWordEmbeddings: false,
            maxPositionEmbeddings: context
        )
    }

    static let corners: [ModelSpec] = {
        var list: [ModelSpec] = []
        // The KV cache per token at its bound (1024 layers × 2 × 2 bytes × 1024 × 1024 = 2^32).
        list.append(dense(layers: 1024, hidden: 4096, ffn: 16384, heads: 1024, kvHeads: 1024, headDim: 1024))
        // Every single fact at its bound where the aggregates allow.
        list.append(dense(layers: 1, hidden: 131_072, ffn: 524_288, heads: 2048, kvHeads: 1, headDim: 2048))
        list.append(dense(layers: 1024, hidden: 1, ffn: 1, heads: 1, kvHeads: 1, headDim: 1, vocab: 1, context: 1))
        // A mixture of experts at the bound of experts, with weights near 2^50.
        var moe = dense(layers: 1024, hidden: 16384, ffn: 524_288, heads: 128, kvHeads: 8, headDim: 128)
        moe.numExperts = 8192
        moe.numExpertsPerTok = 8192
        moe.moeIntermediateSize = 2048
        moe.numSharedExperts = 64
        moe.sharedExpertIntermediateSize = 16384
        list.append(moe)
        // Multi-head latent attention and a sliding window at their bounds.
        var mla = dense(layers: 1024, hidden: 16384, ffn: 65536, heads: 128, kvHeads: 128, headDim: 2048)
        mla.kvLoraRank = 65536
        mla.qLoraRank = 65536
        mla.qkRopeHeadDim = 2048
        mla.qkNopeHeadDim = 0
        mla.vHeadDim = 2048
        list.append(mla)
        var windowed = dense(layers: 1024, hidden: 8192, ffn: 32768, heads: 64, kvHeads: 64, headDim: 256)
        windowed.slidingWindow = ModelBounds.context.upperBound
        windowed.globalLayerEvery = 1024
        list.append(windowed)
        return list
    }()

    /// A CPU-only VM, and a machine larger than any built: 1 PiB of RAM in 64 nodes, eight
    /// 1 TiB GPUs at 100 TB/s.
    static let machines: [MachineProfile] = {
        let small = FitEngineTests.machine(ramGiB: 24, readGBs: 35)
        var large = FitEngineTests.machine(ramGiB: 1 << 20, readGBs: 100_000)
        large.numaNodes = (0..<64).map { NUMANodeFacts(id: $0, memoryBytes: 1 << 44, cpus: [$0]) }
        large.gpus = (0..<8).map { i in
            var gpu = FitEngineTests.rtx4090()
            gpu.pciAddress = "0000:0\(i):00.0"
            gpu.memoryBytes = 1 << 40
            gpu.bandwidthBytesPerS = 100_000_000_000_000
            return gpu
        }
        return [small, large, FitEngineTests.machine(ramGiB: 16, readGBs: 30, gpus: [FitEngineTests.rtx4090()])]
    }()

    @Test func cornersAreValid() throws {
        for spec in Self.corners { try spec.validate() }
    }

    @Test(arguments: 0..<corners.count)
    func cornersFitWithoutOverflow(_ index: Int) throws {
        let spec = Self.corners[index]
        let encoder = ProfileJSON.encoder()
        for machine in Self.machines {
            for context in [1, 8192, spec.maxPositionEmbeddings] where context <= spec.maxPositionEmbeddings {
                let reports = try FitReports.every(
                    request: { .init(model: spec, quant: $0, context: context, parallel: 1024, ubatch: 65536) },
                    engine: FitEngineTests.engine,
                    machine: machine
                )
                for report in reports.reports {
                    #expect(report.memory.totalBytes > 0)
                    #expect(report.maxContextTokens >= 0 && report.maxContextTokens <= spec.maxPositionEmbeddings)
                    // A finite answer: JSON refuses NaN and infinity.
                    _ = try encoder.encode(report)
                }
            }
        }
        _ = ModelSummary(spec, detailed: true, table: ShippedCatalog.quants)
    }

    /// Random models within the bounds (a fixed seed, so a failure repeats): those that pass
    /// validation fit without a trap.
    @Test func randomValidModelsFit() throws {
        var generator = SplitMix64(seed: 0x1157_CAFE)
        var fitted = 0
        for _ in 0..<300 {
            func pick(_ range: ClosedRange<Int>) -> Int {
                // Log-uniform, so small and huge values are both common.
                let span = log2(Double(range.upperBound)) - log2(Double(max(1, range.lowerBound)))
                let value = Double(max(1, range.lowerBound)) * pow(2, Double(generator.next() % 1000) / 1000 * span)
                return min(range.upperBound, max(range.lowerBound, Int(value)))
            }
            let heads = pick(ModelBounds.heads)
            let divisors = (1...heads).filter { heads % $0 == 0 }
            var spec = Self.dense(
                layers: pick(ModelBounds.layers),
                hidden: pick(ModelBounds.hiddenSize),
                ffn: pick(ModelBounds.intermediateSize),
                heads: heads,
                kvHeads: divisors[Int(generator.next() % UInt64(divisors.count))],
                headDim: pick(ModelBounds.headDim),
                vocab: pick(ModelBounds.vocab),
                context: pick(ModelBounds.context)
            )
            if generator.next() % 2 == 0 {
                spec.numExperts = pick(ModelBounds.experts)
                spec.numExpertsPerTok = pick(1...(spec.numExperts ?? 2))
                spec.moeIntermediateSize = pick(ModelBounds.intermediateSize)
            }
            if generator.next() % 3 == 0 { spec.slidingWindow = pick(ModelBounds.context) }
            guard (try? spec.validate()) != nil else { continue }
            let machine = Self.machines[Int(generator.next() % UInt64(Self.machines.count))]
            let report = try FitEngineTests.engine.fit(
                .init(model: spec, quant: "Q4_K_M", context: spec.maxPositionEmbeddings),
                machine: machine
            )
            #expect(report.memory.totalBytes > 0)
            fitted += 1
        }
        // The generator must reach enough valid models for this to mean anything.
        #expect(fitted >= 50)
    }
}
