/// llama.cpp's compute buffer: the scratch memory its graph allocator reserves for one
/// micro-batch, on every device that runs layers (and grown with the micro-batch, the context
/// cells and the vocabulary).
///
/// ggml's allocator reuses memory as tensors die, so the buffer is the high-water mark of the
/// tensors live at once. Three stages set it (all f32, `ub` = micro-batch tokens):
/// - the output: the logits (`ub × vocab`) with two hidden-state activations;
/// - the feed-forward: three and a half FFN-wide activations (gate, up, their product, partly
///   reused) with two hidden states, beside the attention mask that lives through the graph;
/// - without flash attention, the attention scores `KQ` (`cells × ub × heads`) with the mask,
///   five hidden-sized and two K/V-sized activations; flash attention never materialises `KQ`
///   and keeps its mask in f16.
///
/// Measured with `Benchmarks/llama-cpp-check/compute-buffers.py` (llama-cpp-python 0.3.36, CPU,
/// 13 shapes × flash attention on/off, `Tests/Fixtures/llama-cpp/compute-buffers.csv`): with
/// flash attention every shape within 12%; without it 12 of 13 within 5.2% and one (hidden 3072,
/// vocabulary 32000, 768 cells) 24% low, where the allocator placed the logits above a live
/// tensor instead of in the freed scores.
public struct ComputeBufferModel: Sendable, Equatable {
    /// Tokens per micro-batch (`-ub`, at most the context).
    public var ubatch: Int
    /// KV cells the attention reads (the padded context).
    public var cells: Int
    public var hiddenSize: Int
    /// Width of the widest feed-forward activation: the dense FFN, or a MoE layer's routed
    /// experts per token × their width plus the shared experts.
    public var ffnWidth: Int
    public var heads: Int
    /// Elements of one token's K (and V) row: KV heads × head dim, or the MLA latent.
    public var kvRow: Int
    public var vocabSize: Int
    /// llama.cpp's `-fa`: `auto` (its default) turns it on for the CPU, CUDA and Metal backends.
    public var flashAttention: Bool

    public init(
        ubatch: Int,
        cells: Int,
        hiddenSize: Int,
        ffnWidth: Int,
        heads: Int,
        kvRow: Int,
        vocabSize: Int,
        flashAttention: Bool
    ) {
        self.ubatch = ubatch
        self.cells = cells
        self.hiddenSize = hiddenSize
        self.ffnWidth = ffnWidth
        self.heads = heads
        self.kvRow = kvRow
        self.vocabSize = vocabSize
        self.flashAttention = flashAttention
    }

    /// The shape of `model` for a cache of `cells` cells.
    public init(model m: ModelSpec, ubatch: Int, cells: Int, flashAttention: Bool) {
        var ffn = (0..<m.numHiddenLayers).contains { !m.isMoELayer($0) } ? m.denseFFNWidth : 0
        if m.isMoE {
            let routed = (m.numExpertsPerTok ?? 1) * (m.moeIntermediateSize ?? m.intermediateSize)
            let shared = (m.numSharedExperts ?? 0) * (m.sharedExpertIntermediateSize ?? m.moeIntermediateSize ?? 0)
            ffn = max(ffn, routed + shared)
        }
        self.init(
            ubatch: ubatch,
            cells: cells,
            hiddenSize: m.hiddenSize,
            ffnWidth: ffn,
            heads: m.numAttentionHeads,
            kvRow: Int(KVCachePlan.rowElements(m, mla: .latent).k),
            vocabSize: m.vocabSize,
            flashAttention: flashAttention
        )
    }

    /// The buffer, in bytes.
    public var bytes: Int64 {
        let ub = Int64(ubatch)
        let f32: Int64 = 4
        let hidden = ub * Int64(hiddenSize) * f32
        let ffn = ub * Int64(ffnWidth) * f32
        let mask = Int64(cells) * ub * (flashAttention ? 2 : f32)
        let output = ub * Int64(vocabSize) * f32 + 2 * hidden
        let feedForward = mask + ffn * 7 / 2 + 2 * hidden
        guard !flashAttention else { return max(output, feedForward) }
        let scores = Int64(cells) * ub * Int64(heads) * f32
        let attention = scores + mask + 5 * hidden + 2 * ub * Int64(kvRow) * f32
        return max(output, feedForward, attention)
    }
}
