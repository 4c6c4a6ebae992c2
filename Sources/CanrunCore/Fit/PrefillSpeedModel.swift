/// Prompt processing (prefill) speed for llama.cpp-family runtimes. Prefill runs batched matrix
/// multiplications, so it is bound by compute, not memory:
///
///     tokens/s = peak FLOP/s × η ÷ FLOPs per token
///
/// FLOPs per token are `2 ×` the weights a token multiplies (every linear layer and the output
/// head; routed experts at k of n; the embedding table is a lookup) plus attention's scores and
/// weighted sum, `4 × layers × heads × head_dim × depth`, at the prompt's mean depth. `η` is
/// fitted per backend, and on CPUs per quantization family (the integer dot-product kernels of
/// quantized types outrun float ones), on measured prompt speeds (`Benchmarks/SpeedCalibration`).
public struct PrefillSpeedModel: Sendable, Equatable {
    /// η per backend (`cpu`, `cuda`, `metal`, `rocm`, …).
    public var eta: [String: Double]
    /// CPU η per quantization family (`F16`, `Q8_0`, `Q4_0`, …), where it differs.
    public var cpuByQuantFamily: [String: Double]
    /// η per GPU backend and kernel (`cuda.mmq`, `rocm.blas_f16`; `PrefillKernel`), against the
    /// peak of the unit that kernel uses.
    public var kernels: [String: Double]
    /// Tokens per expert at which a MoE layer's expert multiplications run at half their dense
    /// efficiency (`[prefill_experts] half_batch_tokens`): a micro-batch of u tokens gives each of
    /// n experts u × k ÷ n of them, small matrices that load each weight tile for few tokens.
    /// Nil: experts run as dense layers do.
    public var expertHalfBatchTokens: Double?
    /// How much faster a CPU with VNNI (AVX512-VNNI or AVX-VNNI: one instruction for the int8
    /// multiply-add that AVX2 needs three for) runs the integer dot products of quantized weights
    /// (`[prefill.cpu] int8_vnni_speedup`); float weights (F16, BF16, F32) do not use them.
    public var cpuVNNISpeedup: Double?
    /// η of attention's FLOPs (scores and weighted sum over the context) per GPU backend, against
    /// the FP16 matrix unit (`PrefillKernel.attentionPeak`): flash attention and the KQ products
    /// run in FP16 whatever the weights' type, on their own kernels (`[prefill.flash_attention_eta]`).
    /// A backend without one runs attention at its weights' kernel's rate.
    public var attentionEta: [String: Double] = [:]
    /// Weights a kernel dequantises and scales per FP32 FLOP of the GPU's shader cores, per
    /// `backend.kernel` (`[prefill.<backend>.weights_per_fp32_flop]`): MMQ unpacks each weight
    /// tile and applies its scales on the shader cores while the matrix units multiply, so a GPU
    /// whose matrix units outrun its shaders (A100, H100: 30 INT8 ops per FP32 FLOP, GeForce 8)
    /// is slower than its matrix peak says. None: the kernel's η covers it.
    public var weightsPerShaderFlop: [String: Double] = [:]
    /// Per GPU architecture, the board power per FP32 TFLOP/s below which matrix work cannot
    /// hold the boost clock (`[prefill.sustained_watts_per_fp32_tflop]`): a board rated for less
    /// runs its prompts at power ÷ (this × FP32 TFLOP/s) of the clock its peaks assume (an RTX 6000
    /// Ada at 300 W, 91 TFLOP/s, runs about 0.7 of it; a GeForce RTX 4090 at 450 W all of it).
    public var sustainedWattsPerFP32Teraflop: [String: Double] = [:]

    /// The share of its boost clock a GPU of `architecture` with `peaks` holds under matrix
    /// work: 1 unless its board power is below the architecture's sustained power.
    public func clockFraction(peaks: GPUPeaks?, architecture: String?) -> Double {
        guard let architecture, let watts = sustainedWattsPerFP32Teraflop[architecture],
            let power = peaks?.boardPowerW, let fp32 = peaks?.fp32FlopsPerS, fp32 > 0, power > 0
        else { return 1 }
        return min(1, power / (watts * fp32 / 1e12))
    }

    /// Attention's η on `backend` with flash attention; nil: at the weights' kernel (and always
    /// without flash attention, whose KQ and KQV products are the BLAS GEMMs the weights use).
    public func attentionEfficiency(backend: String, flash: Bool) -> Double? {
        flash ? attentionEta[backend] : nil
    }

    public init(
        eta: [String: Double],
        cpuByQuantFamily: [String: Double] = [:],
        kernels: [String: Double] = [:],
        expertHalfBatchTokens: Double? = nil
    ) {
        self.eta = eta
        self.cpuByQuantFamily = cpuByQuantFamily
        self.kernels = kernels
        self.expertHalfBatchTokens = expertHalfBatchTokens
    }

    /// The CPU's prefill η for `quantFamily` on a CPU with `isa`: the family's (or the backend's)
    /// η, times the VNNI speedup where the CPU has an int8 dot-product instruction and the family
    /// multiplies in integers: AVX512-VNNI or AVX-VNNI (`vpdpbusd`), or ARM's dot product
    /// (`asimddp`, `sdot`), which sums four int8 products into each 32-bit lane in one
    /// instruction as `vpdpbusd` does, where AVX2 needs three.
    public func cpuEfficiency(quantFamily: String, isa: [String]) -> Double? {
        guard let base = efficiency(backend: "cpu", quantFamily: quantFamily) else { return nil }
        let flags = Set(isa.map { $0.lowercased() })
        let vnni = flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("asimddp")
        let integer = !["F16", "BF16", "F32"].contains(quantFamily)
        guard vnni, integer, let speedup = cpuVNNISpeedup else { return base }
        return base * speedup
    }

    /// The FLOPs of a prompt token (`flopsPerToken`), with a MoE model's routed-expert FLOPs
    /// (`expertWeights` of the multiplied weights) weighted by how much slower experts fed
    /// `ubatch × k ÷ n` tokens run than a dense layer fed `ubatch`: the efficiency at b tokens
    /// is b ÷ (b + half), so the experts' FLOPs count (b_d + half) ÷ b_d × b_e ÷ (b_e + half)
    /// times less efficiently, i.e. are multiplied by its inverse.
    public func effectiveFlopsPerToken(
        model: ModelSpec,
        multipliedWeights: Int64,
        expertWeights: Int64,
        promptTokens: Int,
        depth: Int,
        ubatch: Int
    ) -> Double {
        let flops = Self.flopsPerToken(
            model: model,
            multipliedWeights: multipliedWeights,
            promptTokens: promptTokens,
            depth: depth
        )
        guard let half = expertHalfBatchTokens, expertWeights > 0 else { return flops }
        let batch = Self.batch(model: model, promptTokens: promptTokens, ubatch: ubatch)
        return flops + 2 * Double(expertWeights) * (Self.expertSlowdown(batch, half: half) - 1)
    }

    /// The tokens one micro-batch of a `promptTokens` prompt gives a dense layer (at most
    /// `ubatch`) and each routed expert (`dense × k ÷ n`; as many as a dense layer in a dense
    /// model), at least 1.
    public static func batch(model: ModelSpec, promptTokens: Int, ubatch: Int) -> (dense: Double, perExpert: Double) {
        let dense = Double(max(1, min(ubatch, promptTokens)))
        guard model.isMoE, let n = model.numExperts, let k = model.numExpertsPerTok, n > 0, k > 0 else {
            return (dense, dense)
        }
        return (dense, max(1, dense * Double(k) / Double(n)))
    }

    /// How many times more an expert FLOP costs than a dense one when a kernel fed b tokens runs
    /// at b ÷ (b + `half`) of its efficiency: (e + half) ÷ e × d ÷ (d + half); 1 without a term.
    public static func expertSlowdown(_ batch: (dense: Double, perExpert: Double), half: Double?) -> Double {
        guard let half, half > 0 else { return 1 }
        return (batch.perExpert + half) / batch.perExpert * batch.dense / (batch.dense + half)
    }

    /// η of `kernel` on `backend`; the backend's own η where the kernel has none fitted.
    public func efficiency(backend: String, kernel: PrefillKernel) -> Double? {
        kernels["\(backend).\(kernel.rawValue)"] ?? eta[backend]
    }

    /// The prompt length llama-bench's `pp512` test uses, which published prefill speeds quote.
    public static let referencePromptTokens = 512

    /// FLOPs to process one prompt token of a `promptTokens`-token prompt that starts after
    /// `depth` tokens already in the context.
    /// - Parameter multipliedWeights: weights one token multiplies (active, without the input
    ///   embedding table).
    public static func flopsPerToken(
        model: ModelSpec,
        multipliedWeights: Int64,
        promptTokens: Int,
        depth: Int = 0
    ) -> Double {
        2 * Double(multipliedWeights) + attentionFlopsPerToken(model: model, promptTokens: promptTokens, depth: depth)
    }

    /// Bytes a prompt token moves through memory for attention without flash attention: the KQ
    /// scores (F32) are written, read and written by the softmax, and read for KQV, 16 bytes per
    /// query head, layer and attended cell, where KQ spans every cell up to the micro-batch's end
    /// (the mask zeroes the later ones but they are computed). 0 with flash attention, which keeps
    /// the scores on chip.
    public static func attentionBytesPerToken(
        model: ModelSpec,
        promptTokens: Int,
        depth: Int,
        ubatch: Int,
        flash: Bool
    ) -> Double {
        guard !flash else { return 0 }
        let batch = max(1, min(ubatch, promptTokens))
        let cells = Double(max(depth, 0)) + Double(max(promptTokens, 1) + batch) / 2
        let window = (model.slidingWindow ?? model.attentionChunkSize).map(Double.init) ?? .infinity
        let full = Double((0..<model.numHiddenLayers).filter(model.isFullAttentionLayer).count)
        let windowed = Double(model.numHiddenLayers) - full
        return 16 * Double(model.numAttentionHeads) * (full * cells + windowed * min(cells, window + Double(batch)))
    }

    /// Weights a conversion kernel unpacks to F16 per prompt token before a BLAS GEMM: each
    /// micro-batch converts every dense weight once, shared by its `batch.dense` tokens, and
    /// every expert it reaches once, shared by the `batch.perExpert` tokens each gets (a 512-token
    /// batch reaches all of Qwen3-30B-A3B's 128 experts).
    public static func convertedWeightsPerToken(
        denseWeights: Double,
        expertWeights: Double,
        batch: (dense: Double, perExpert: Double)
    ) -> Double {
        denseWeights / max(1, batch.dense) + expertWeights / max(1, batch.perExpert)
    }

    /// Attention's share of `flopsPerToken`: scores and weighted sum over the prompt's mean
    /// depth, `4 × heads × head_dim` per attended token and layer.
    public static func attentionFlopsPerToken(model: ModelSpec, promptTokens: Int, depth: Int = 0) -> Double {
        let meanDepth = Double(max(depth, 0)) + Double(max(promptTokens, 1)) / 2
        let attentionWidth = Double(model.numAttentionHeads * model.headDim)
        // Full-attention layers attend to everything before; sliding-window (or chunked) layers
        // to their window at most (gpt-oss and Gemma alternate the two).
        let window = (model.slidingWindow ?? model.attentionChunkSize).map(Double.init) ?? .infinity
        let full = Double((0..<model.numHiddenLayers).filter(model.isFullAttentionLayer).count)
        let windowed = Double(model.numHiddenLayers) - full
        return 4 * attentionWidth * (full * meanDepth + windowed * min(meanDepth, window))
    }

    /// η for `backend`, with the CPU's per-family value where one is known. A CPU family without
    /// one takes its kind's: the families that unpack through more than a shift and a scale
    /// (K-quants' 6-bit sub-block scales, the IQ grids and tables, MXFP4's and NVFP4's E2M1
    /// value table, which llama.cpp decodes as it does IQ4_NL's) ran at a third of the simple
    /// 32-weight blocks' rate on the CPUs measured, so they take the median of those of their
    /// kind that were measured; the others take the backend's value.
    public func efficiency(backend: String, quantFamily: String) -> Double? {
        if backend == "cpu" {
            if let e = cpuByQuantFamily[quantFamily] { return e }
            if Self.unpacksThroughTables(quantFamily) {
                let measured = cpuByQuantFamily.filter { Self.unpacksThroughTables($0.key) }.values.sorted()
                if !measured.isEmpty { return measured[measured.count / 2] }
            }
        }
        return eta[backend]
    }

    /// K-quants (`Q3_K`, `Q4_K`, …), the IQ families, MXFP4 and NVFP4.
    static func unpacksThroughTables(_ family: String) -> Bool {
        family.hasPrefix("IQ") || (family.hasPrefix("Q") && family.hasSuffix("_K")) || family == "MXFP4"
            || family == "NVFP4"
    }

    /// Tokens per second when each share of the FLOPs runs on its own device, one after the other
    /// (layers split across devices run in sequence). Nil when a share has no peak or no η.
    public static func tokensPerSecond(
        flopsPerToken: Double,
        shares: [(fraction: Double, peakFlopsPerS: Double?, eta: Double?)]
    ) -> Double? {
        tokensPerSecond(shares.map { ($0.fraction, flopsPerToken, $0.peakFlopsPerS, $0.eta) })
    }

    /// The same with each device's own FLOPs per token (GPUs weigh MoE experts' small batches,
    /// the CPU does not).
    public static func tokensPerSecond(
        _ shares: [(fraction: Double, flopsPerToken: Double, peakFlopsPerS: Double?, eta: Double?)]
    ) -> Double? {
        var seconds = 0.0
        for share in shares where share.fraction > 0 {
            guard let peak = share.peakFlopsPerS, peak > 0, let eta = share.eta, eta > 0 else { return nil }
            seconds += share.fraction * share.flopsPerToken / (peak * eta)
        }
        return seconds > 0 ? 1 / seconds : nil
    }

    /// One measured prefill speed to fit against.
    public struct Observation: Sendable, Equatable {
        public var flopsPerToken: Double
        public var peakFlopsPerS: Double
        public var tokensPerS: Double

        public init(flopsPerToken: Double, peakFlopsPerS: Double, tokensPerS: Double) {
            self.flopsPerToken = flopsPerToken
            self.peakFlopsPerS = peakFlopsPerS
            self.tokensPerS = tokensPerS
        }

        /// The η this one measurement implies.
        public var impliedEta: Double { tokensPerS * flopsPerToken / peakFlopsPerS }
    }

    /// The η minimising the squared relative error of the predicted times: the geometric mean of
    /// the implied values would favour neither fast nor slow rows either, but least squares on
    /// `t = x ÷ η` weighted by `1 ÷ t²` gives `η = Σ (x/t)² ÷ Σ (x/t)`, with `x` the seconds at η = 1.
    public static func fit(_ rows: [Observation]) -> Double? {
        guard !rows.isEmpty else { return nil }
        var num = 0.0
        var den = 0.0
        for r in rows {
            let ratio = r.impliedEta
            num += ratio * ratio
            den += ratio
        }
        return den > 0 ? num / den : nil
    }
}
