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

    /// Prompt tokens per second for `promptTokens` tokens of `flopsPerToken` each; nil when a
    /// device's peak or efficiency is unknown, or nothing computes.
    package func tokensPerSecond(flopsPerToken: Double, promptTokens: Int) -> Double? {
        guard
            let compute = PrefillSpeedModel.tokensPerSecond(
                flopsPerToken: flopsPerToken,
                shares: shares.map { ($0.fraction, $0.peakFlopsPerS, $0.efficiency) }
            )
        else { return nil }
        guard let offload else { return compute }
        return Double(promptTokens) / (Double(promptTokens) / compute + offload.seconds(promptTokens: promptTokens))
    }
}
