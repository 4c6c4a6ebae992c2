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
    }

    package var shares: [Share]
    package var offload: PromptOffload?

    /// Prompt tokens per second for `promptTokens` tokens of `flopsPerToken` each, the GPUs'
    /// shares at `gpuFlopsPerToken` when given (MoE experts' small batches,
    /// `PrefillSpeedModel.effectiveFlopsPerToken`, fitted on GPUs only); nil when a device's peak
    /// or efficiency is unknown, or nothing computes.
    package func tokensPerSecond(flopsPerToken: Double, gpuFlopsPerToken: Double? = nil, promptTokens: Int) -> Double? {
        var seconds = 0.0
        for share in shares where share.fraction > 0 {
            guard let peak = share.peakFlopsPerS, peak > 0, let eta = share.efficiency, eta > 0 else { return nil }
            let flops = share.device == .cpu ? flopsPerToken : gpuFlopsPerToken ?? flopsPerToken
            seconds += share.fraction * flops / (peak * eta)
        }
        guard seconds > 0 else { return nil }
        let compute = 1 / seconds
        guard let offload else { return compute }
        return Double(promptTokens) / (Double(promptTokens) / compute + offload.seconds(promptTokens: promptTokens))
    }
}

/// A prompt's cost with the figures the speed calibration needs to refit the expert term
/// (`FitEngine.prefillCost`): a token's FLOPs without it, its routed-expert FLOPs, and the tokens
/// a micro-batch gives a dense layer and each expert.
package struct PrefillTerms: Sendable {
    package var cost: PrefillCost
    package var flopsPerToken: Double
    package var expertFlopsPerToken: Double
    package var denseBatch: Double
    package var expertBatch: Double

    /// The FLOPs the expert term weights with a half-efficiency batch of `half` tokens (nil:
    /// none), as `PrefillSpeedModel.effectiveFlopsPerToken` does.
    package func effectiveFlops(half: Double?) -> Double {
        guard let half, half > 0, expertFlopsPerToken > 0 else { return flopsPerToken }
        let slowdown = (expertBatch + half) / expertBatch * denseBatch / (denseBatch + half)
        return flopsPerToken + expertFlopsPerToken * (slowdown - 1)
    }
}
