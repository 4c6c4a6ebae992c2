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
        guard
            let compute = PrefillSpeedModel.tokensPerSecond(
                shares.map {
                    let flops = $0.device == .cpu ? flopsPerToken : gpuFlopsPerToken ?? flopsPerToken
                    return ($0.fraction, flops, $0.peakFlopsPerS, $0.efficiency)
                }
            )
        else { return nil }
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
    package var batch: (dense: Double, perExpert: Double)

    /// The FLOPs the expert term weights with a half-efficiency batch of `half` tokens (nil:
    /// none), as `PrefillSpeedModel.effectiveFlopsPerToken` does.
    package func effectiveFlops(half: Double?) -> Double {
        flopsPerToken + expertFlopsPerToken * (PrefillSpeedModel.expertSlowdown(batch, half: half) - 1)
    }
}
