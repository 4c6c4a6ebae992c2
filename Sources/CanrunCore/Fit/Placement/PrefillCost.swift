/// What a prompt costs in a placement, as values: each device computes the share of the FLOPs
/// its weights carry at its peak × efficiency, in turn (`PrefillSpeedModel`). When llama.cpp
/// offloads the CPU's multiplications to a GPU (`offload`), that GPU computes everything and the
/// weights in RAM cross the link once per micro-batch.
package struct PrefillCost: Sendable, Equatable {
    package struct Share: Sendable, Equatable {
        package var device: Device
        /// The share of the FLOPs, 0 to 1.
        package var fraction: Double
        package var peakFlopsPerS: Double?
        package var efficiency: Double?
        /// The GPU kernel whose unit `peakFlopsPerS` is; nil for the CPU, Metal and GPUs whose
        /// unit peaks are unknown (their FP16 figure).
        package var kernel: PrefillKernel? = nil
        /// The GPU backend (`cuda`, `rocm`, …); nil on the CPU.
        package var backend: String? = nil
        /// The unit attention runs on (`PrefillKernel.attentionPeak`) and its η; nil where the
        /// backend has none fitted, and attention then runs at `peakFlopsPerS × efficiency`.
        package var attentionPeakFlopsPerS: Double? = nil
        package var attentionEfficiency: Double? = nil
        /// Bytes per second the device streams at (bandwidth × the decode η), for attention's
        /// scores without flash attention; nil where unknown (the CPU: its FLOPs bound it).
        package var streamBytesPerS: Double? = nil
        /// The shader cores' FP32 rate and the weights the kernel dequantises per FP32 FLOP
        /// (`PrefillSpeedModel.weightsPerShaderFlop`); nil: none.
        package var shaderFlopsPerS: Double? = nil
        package var weightsPerShaderFlop: Double? = nil
        /// The share of the boost clock the board's power holds (`PrefillSpeedModel.clockFraction`),
        /// and that power with where it comes from (`table`, or the driver's enforced limit).
        package var clockFraction: Double = 1
        package var boardPowerW: Double? = nil
        package var boardPowerSource: String? = nil
        /// Whether the kernel multiplies weights a conversion kernel wrote out as F16 first
        /// (cuBLAS/hipBLAS on quantized weights), each micro-batch
        /// (`PrefillSpeedModel.conversionBytesPerToken`).
        package var convertsWeights = false

        /// Seconds this share takes per token of `flops`, `attention` of them attention's, which
        /// moves `attentionBytes` through memory, and `conversionBytes` when it converts weights.
        func seconds(
            flops: Double,
            attention: Double,
            attentionBytes: Double = 0,
            conversionBytes: Double = 0,
            batch: Double = 1
        ) -> Double? {
            guard fraction > 0 else { return 0 }
            guard let peak = peakFlopsPerS, peak > 0, let eta = efficiency, eta > 0 else { return nil }
            let bytes = attentionBytes + (convertsWeights ? conversionBytes : 0)
            let memory = streamBytesPerS.map { $0 > 0 ? bytes / $0 : 0 } ?? 0
            let clock = clockFraction > 0 ? clockFraction : 1
            let own = min(attention, flops)
            var compute = flops / (peak * eta)
            if let attentionPeak = attentionPeakFlopsPerS, attentionPeak > 0, let attentionEta = attentionEfficiency,
                attentionEta > 0
            {
                compute = (flops - own) / (peak * eta) + own / (attentionPeak * attentionEta)
            }
            if let shader = shaderFlopsPerS, shader > 0, let kappa = weightsPerShaderFlop, kappa > 0 {
                // MMQ unpacks the weights in its tiles for every token tile; a conversion kernel
                // once per micro-batch.
                compute += (flops - own) / 2 / (shader * kappa) / (convertsWeights ? max(1, batch) : 1)
            }
            return fraction * (compute / clock + memory)
        }
    }

    package var shares: [Share]
    package var offload: PromptOffload?

    /// Prompt tokens per second for `promptTokens` tokens of `flopsPerToken` each, `attention`
    /// of them attention's (`PrefillSpeedModel.attentionFlopsPerToken`) moving `attentionBytes`
    /// (`PrefillSpeedModel.attentionBytesPerToken`), the GPUs' shares at
    /// `gpuFlopsPerToken` when given (MoE experts' small batches,
    /// `PrefillSpeedModel.effectiveFlopsPerToken`, fitted on GPUs only); nil when a device's peak
    /// or efficiency is unknown, or nothing computes.
    package func tokensPerSecond(
        flopsPerToken: Double,
        gpuFlopsPerToken: Double? = nil,
        attentionFlopsPerToken attention: Double = 0,
        attentionBytesPerToken attentionBytes: Double = 0,
        conversionBytesPerToken conversionBytes: Double = 0,
        batchTokens: Double = 1,
        promptTokens: Int
    ) -> Double? {
        var seconds = 0.0
        for share in shares {
            let flops = share.device == .cpu ? flopsPerToken : gpuFlopsPerToken ?? flopsPerToken
            guard
                let s = share.seconds(
                    flops: flops,
                    attention: attention,
                    attentionBytes: attentionBytes,
                    conversionBytes: conversionBytes,
                    batch: batchTokens
                )
            else { return nil }
            seconds += s
        }
        guard seconds > 0 else { return nil }
        guard let offload else { return 1 / seconds }
        return Double(promptTokens) / (Double(promptTokens) * seconds + offload.seconds(promptTokens: promptTokens))
    }
}

/// A prompt's cost with the figures the speed calibration needs to refit the expert term
/// (`FitEngine.prefillCost`): a token's FLOPs without it, its routed-expert FLOPs, and the tokens
/// a micro-batch gives a dense layer and each expert.
package struct PrefillTerms: Sendable {
    package var cost: PrefillCost
    package var flopsPerToken: Double
    /// Attention's part of `flopsPerToken`, and the bytes its scores move without flash
    /// attention.
    package var attentionFlopsPerToken: Double
    package var attentionBytesPerToken: Double
    /// The bytes converting quantized weights to F16 moves per token where a share's kernel
    /// needs it (`PrefillSpeedModel.conversionBytesPerToken`).
    package var conversionBytesPerToken: Double
    package var expertFlopsPerToken: Double
    package var batch: (dense: Double, perExpert: Double)

    /// The FLOPs the expert term weights with a half-efficiency batch of `half` tokens (nil:
    /// none), as `PrefillSpeedModel.effectiveFlopsPerToken` does.
    package func effectiveFlops(half: Double?) -> Double {
        flopsPerToken + expertFlopsPerToken * (PrefillSpeedModel.expertSlowdown(batch, half: half) - 1)
    }

    /// Prompt tokens per second of a `promptTokens` prompt, with `model`'s expert term on the
    /// GPUs, as `FitEngine` answers it.
    package func tokensPerSecond(model: PrefillSpeedModel, promptTokens: Int) -> Double? {
        cost.tokensPerSecond(
            flopsPerToken: flopsPerToken,
            gpuFlopsPerToken: effectiveFlops(half: model.expertHalfBatchTokens),
            attentionFlopsPerToken: attentionFlopsPerToken,
            attentionBytesPerToken: attentionBytesPerToken,
            conversionBytesPerToken: conversionBytesPerToken,
            batchTokens: batch.dense,
            promptTokens: promptTokens
        )
    }
}
