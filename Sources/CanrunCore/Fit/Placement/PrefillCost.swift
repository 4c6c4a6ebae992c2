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
        /// The share of the unit's datasheet peak the kernel's instructions reach, already in
        /// `peakFlopsPerS` (`PrefillKernel.mmaSyncShare`: 0.5 for ggml's MMQ on Hopper).
        package var peakShare: Double = 1
        /// The GPU backend (`cuda`, `rocm`, …); nil on the CPU.
        package var backend: String? = nil
        /// The unit attention runs on (`PrefillKernel.attentionPeak`, FLOP/s; nil where the GPU's
        /// peaks are unknown) and flash attention's η on it (nil where none is fitted, or without
        /// flash attention): then attention runs at `peakFlopsPerS × efficiency`.
        package var attentionPeakFlopsPerS: Double? = nil
        package var attentionEfficiency: Double? = nil
        /// Bytes per second the device streams at (bandwidth × the decode η), for attention's
        /// scores and BLAS's converted weights; nil where no such term was fitted with its η (the
        /// CPU, Metal, a GPU without unit peaks).
        package var streamBytesPerS: Double? = nil
        /// The shader cores' FP32 rate, FLOP/s, and the weights the kernel unpacks per FP32 FLOP
        /// (`PrefillSpeedModel.weightsPerShaderFlop`); nil: no such term.
        package var shaderFlopsPerS: Double? = nil
        package var weightsPerShaderFlop: Double? = nil
        /// The share of the boost clock the board's power holds (`PrefillSpeedModel.clockFraction`),
        /// and that power, W, with where it comes from (`table`, or the driver's enforced limit).
        package var clockFraction: Double = 1
        package var boardPowerW: Double? = nil
        package var boardPowerSource: String? = nil
        /// How the kernel unpacks the weights (`PrefillKernel.unpacking`); nil: it does not.
        package var unpacking: PrefillKernel.Unpacking? = nil

        /// Seconds this share takes of a token's `work` (`PrefillWork`): its matrix FLOPs at the
        /// kernel's peak × η, attention's at its own unit and η, the unpacking on the shader cores,
        /// all at the clock the board's power holds, and the bytes attention's scores and BLAS's
        /// conversion move at the device's stream rate. Nil when the peak or η is unknown.
        func seconds(_ work: PrefillWork) -> Double? {
            guard fraction > 0 else { return 0 }
            guard let peak = peakFlopsPerS, peak > 0, let eta = efficiency, eta > 0 else { return nil }
            let flops = device == .cpu ? work.cpuFlops : work.gpuFlops
            let attention = min(work.attentionFlops, flops)
            var compute = flops / (peak * eta)
            if let attentionPeak = attentionPeakFlopsPerS, attentionPeak > 0, let attentionEta = attentionEfficiency,
                attentionEta > 0
            {
                compute = (flops - attention) / (peak * eta) + attention / (attentionPeak * attentionEta)
            }
            if let shader = shaderFlopsPerS, shader > 0, let kappa = weightsPerShaderFlop, kappa > 0, let unpacking {
                let weights = unpacking == .inTiles ? (flops - attention) / 2 : work.convertedWeights
                compute += weights / (shader * kappa)
            }
            var bytes = work.attentionBytes
            if unpacking == .perMicroBatch { bytes += work.convertedBytes }
            let memory = streamBytesPerS.map { $0 > 0 ? bytes / $0 : 0 } ?? 0
            return fraction * (compute / (clockFraction > 0 ? clockFraction : 1) + memory)
        }
    }

    package var shares: [Share]
    package var offload: PromptOffload?

    /// Prompt tokens per second for a `promptTokens`-token prompt whose every token asks `work`
    /// of the devices in turn, with the offloaded weights' crossing per micro-batch; nil when a
    /// device's peak or efficiency is unknown, or nothing computes.
    package func tokensPerSecond(_ work: PrefillWork, promptTokens: Int) -> Double? {
        var seconds = 0.0
        for share in shares {
            guard let s = share.seconds(work) else { return nil }
            seconds += s
        }
        guard seconds > 0 else { return nil }
        guard let offload else { return 1 / seconds }
        return Double(promptTokens) / (Double(promptTokens) * seconds + offload.seconds(promptTokens: promptTokens))
    }
}

/// A prompt's cost with the figures the speed calibration needs to refit the expert term
/// (`FitEngine.prefillTerms`): a token's work without it, its routed-expert FLOPs, and the tokens
/// a micro-batch gives a dense layer and each expert.
package struct PrefillTerms: Sendable {
    package var cost: PrefillCost
    /// A token's work with the expert term left out (`gpuFlops` = `cpuFlops`).
    package var plain: PrefillWork
    package var expertFlopsPerToken: Double
    package var batch: (dense: Double, perExpert: Double)

    /// The GPU FLOPs the expert term weights with a half-efficiency batch of `half` tokens (nil:
    /// none), as `PrefillSpeedModel.effectiveFlopsPerToken` does.
    package func effectiveFlops(half: Double?) -> Double {
        plain.cpuFlops + expertFlopsPerToken * (PrefillSpeedModel.expertSlowdown(batch, half: half) - 1)
    }

    /// A token's work with the expert term `half` on the GPUs.
    package func work(half: Double?) -> PrefillWork {
        var work = plain
        work.gpuFlops = effectiveFlops(half: half)
        return work
    }

    /// Prompt tokens per second of a `promptTokens` prompt, with `model`'s expert term on the
    /// GPUs, as `FitEngine` answers it.
    package func tokensPerSecond(model: PrefillSpeedModel, promptTokens: Int) -> Double? {
        cost.tokensPerSecond(work(half: model.expertHalfBatchTokens), promptTokens: promptTokens)
    }
}
