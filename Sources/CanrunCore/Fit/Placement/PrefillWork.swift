/// What one prompt token asks of a device, every term per token (`PrefillCost.Share.seconds`):
/// FLOPs, attention's part of them and the bytes its scores move, and the weights a conversion
/// kernel unpacks for BLAS with the bytes that moves.
package struct PrefillWork: Sendable, Equatable {
    /// FLOPs on the CPU (no MoE expert term) and on a GPU (routed experts weighed by their small
    /// batches, `PrefillSpeedModel.effectiveFlopsPerToken`).
    package var cpuFlops: Double
    package var gpuFlops: Double
    /// Attention's FLOPs (part of both figures above) and, without flash attention, the bytes
    /// its F32 scores move (`PrefillSpeedModel.attentionBytesPerToken`).
    package var attentionFlops: Double
    package var attentionBytes: Double
    /// Weights a conversion kernel unpacks to F16 per token where BLAS multiplies quantized
    /// weights: every dense weight once per micro-batch, every expert once per micro-batch that
    /// reaches it (`PrefillSpeedModel.convertedWeightsPerToken`), and the bytes that moves.
    package var convertedWeights: Double
    package var convertedBytes: Double

    package init(
        cpuFlops: Double,
        gpuFlops: Double,
        attentionFlops: Double,
        attentionBytes: Double,
        convertedWeights: Double,
        convertedBytes: Double
    ) {
        self.cpuFlops = cpuFlops
        self.gpuFlops = gpuFlops
        self.attentionFlops = attentionFlops
        self.attentionBytes = attentionBytes
        self.convertedWeights = convertedWeights
        self.convertedBytes = convertedBytes
    }
}
