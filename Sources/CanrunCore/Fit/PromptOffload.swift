/// llama.cpp's op offload in prompt processing: when a micro-batch has at least 32 tokens, the
/// CUDA and ROCm backends multiply weights that live in RAM on the GPU, copying them over PCIe
/// once per micro-batch (ggml-cuda's `offload_op`: `MUL_MAT` and `MUL_MAT_ID` with 32 or more
/// rows; on by default, `--no-op-offload` turns it off). A split placement's prefill is then the
/// GPU's compute for every weight plus those copies, which a larger `-ub` amortises.
///
/// The copy rate is the pinned-memory one (`PCIeCopyRate`): with `--no-mmap`, which the split
/// placements' launch flags carry, llama.cpp loads the weights in RAM into the GPU backend's
/// pinned host buffer; mapped from the file (the default) they are pageable, and the driver
/// stages each copy through a pinned bounce buffer, slower.
public struct PromptOffload: Sendable, Equatable {
    /// ggml-cuda's `min_batch_size`.
    public static let minimumBatch = 32

    /// Weights held in RAM that the GPU multiplies, bytes (the CPU's layers; the routed experts).
    public var hostWeightBytes: Int64
    /// Tokens per micro-batch (`-ub`), at most the prompt's.
    public var ubatch: Int
    public var rate: PCIeCopyRate

    /// Nil when nothing is copied (no weights in RAM, or micro-batches too small to offload).
    public init?(hostWeightBytes: Int64, ubatch: Int, rate: PCIeCopyRate) {
        guard hostWeightBytes > 0, ubatch >= Self.minimumBatch else { return nil }
        self.hostWeightBytes = hostWeightBytes
        self.ubatch = ubatch
        self.rate = rate
    }

    /// Seconds to copy the weights once.
    public var copySeconds: Double { Double(hostWeightBytes) / rate.bytesPerS }

    /// Copy seconds for a prompt of `tokens` tokens: once per micro-batch.
    public func seconds(promptTokens tokens: Int) -> Double {
        Double((tokens + ubatch - 1) / ubatch) * copySeconds
    }

    public var note: String {
        "prompt processing copies the \(ProfileText.bytes(hostWeightBytes)) of weights in RAM to the GPU once per "
            + "\(ubatch)-token micro-batch: \(ProfileText.decimal(copySeconds, places: 2)) s over \(rate.description), "
            + "80% of the link's rate for pinned memory (--no-mmap) assumed; a larger -ub copies them less often"
    }
}
