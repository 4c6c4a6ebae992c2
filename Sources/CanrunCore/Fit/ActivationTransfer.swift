/// The per-token cost of moving activations between devices when a placement splits a model:
/// llama.cpp's scheduler copies the f32 hidden state (`hidden × 4` bytes per token) across every
/// boundary between backends and waits for the copy before the next split runs.
///
/// - Partial offload: one boundary (the CPU's layers hand over to the GPU's).
/// - MoE experts in RAM: two per MoE layer (to the CPU for the experts and back).
/// - Several GPUs with a layer split: one per GPU boundary.
///
/// Each copy costs a 10 µs synchronous round trip (assumed: launch, DMA set-up and the wait)
/// plus its bytes at the link's copy rate (`PCIeCopyRate`); `note` says which link.
public struct ActivationTransfer: Sendable, Equatable {
    public var copiesPerToken: Int
    public var bytesPerCopy: Int64
    public var rate: PCIeCopyRate

    public static let latencySeconds = 10e-6

    public init(copiesPerToken: Int, hiddenSize: Int, rate: PCIeCopyRate) {
        self.copiesPerToken = copiesPerToken
        bytesPerCopy = Int64(hiddenSize) * 4
        self.rate = rate
    }

    /// Seconds per decoded token.
    public var seconds: Double {
        Double(copiesPerToken) * (Self.latencySeconds + Double(bytesPerCopy) / rate.bytesPerS)
    }

    public var note: String {
        "\(copiesPerToken) host↔device copies of \(bytesPerCopy) bytes per token: "
            + ProfileText.decimal(seconds * 1e3, places: 2)
            + " ms over \(rate.description), 10 µs per copy assumed"
    }
}
