/// The per-token cost of moving activations between devices when a placement splits a model:
/// llama.cpp's scheduler copies the f32 hidden state (`hidden × 4` bytes per token) across every
/// boundary between backends and waits for the copy before the next split runs.
///
/// - Partial offload: one boundary (the CPU's layers hand over to the GPU's).
/// - MoE experts in RAM: two per MoE layer (to the CPU for the experts and back).
/// - Several GPUs with a layer split: one per GPU boundary.
///
/// The link is not probed yet, so the cost assumes a PCIe 4.0 x16 link (25 GB/s of a 31.5 GB/s
/// raw rate) and a 10 µs synchronous round trip per copy; `note` says so in every report that
/// uses it.
public struct ActivationTransfer: Sendable, Equatable {
    public var copiesPerToken: Int
    public var bytesPerCopy: Int64

    public static let linkBytesPerS = 25e9
    public static let latencySeconds = 10e-6

    public init(copiesPerToken: Int, hiddenSize: Int) {
        self.copiesPerToken = copiesPerToken
        bytesPerCopy = Int64(hiddenSize) * 4
    }

    /// Seconds per decoded token.
    public var seconds: Double {
        Double(copiesPerToken) * (Self.latencySeconds + Double(bytesPerCopy) / Self.linkBytesPerS)
    }

    public var note: String {
        "\(copiesPerToken) host↔device copies of \(bytesPerCopy) bytes per token: "
            + ProfileText.decimal(seconds * 1e3, places: 2)
            + " ms (PCIe 4.0 x16 and 10 µs per copy assumed; the link is not probed)"
    }
}
