/// The physical range of every architecture fact canrun computes with. Each bound is far beyond
/// any model published by late 2026 (the largest in brackets) yet small enough that no size the
/// engine derives from facts within them can overflow an `Int64` (`ModelBoundsTests` fits models
/// at every corner): a config.json, GGUF or catalog entry outside them is a corrupt or hostile
/// file, never a model.
public enum ModelBounds {
    /// Transformer blocks [Llama 3.1 405B: 126]. Also caps the work one model costs: the tensor
    /// inventory holds about 20 tensors per layer.
    public static let layers = 1...1024
    /// Hidden size [Llama 3.1 405B: 16384].
    public static let hiddenSize = 1...131_072
    /// Any feed-forward width: dense, routed expert, shared expert [Llama 3.1 405B: 53248].
    public static let intermediateSize = 1...524_288
    /// Attention heads [DeepSeek-V3, Llama 3.1 405B: 128].
    public static let heads = 1...2048
    /// Elements per attention head [Gemma 2/3: 256].
    public static let headDim = 1...2048
    /// Token vocabulary [Gemma 3: 262208].
    public static let vocab = 1...4_194_304
    /// Trained context in tokens [Llama 4 Scout: 10485760]; also bounds requested contexts,
    /// sliding windows and attention chunks.
    public static let context = 1...134_217_728
    /// The largest YaRN factor a model may state (published ones are 4 to 40).
    public static let yarnFactor = 64.0
    /// Routed experts per MoE layer [Qwen3-Next: 512].
    public static let experts = 2...8192
    /// Shared experts per MoE layer [DeepSeek-V3: 1; Qwen2-MoE's one is wide, not many].
    public static let sharedExperts = 0...64
    /// MLA ranks (`kv_lora_rank`, `q_lora_rank`) [DeepSeek-V3: 512 and 1536].
    public static let loraRank = 1...65536
    /// Weights in the whole model, as the shapes give it [Kimi K2: 1.04e12]. 2^50 keeps every
    /// weight size below 2^53 bytes, so sums of sizes stay exact and far from overflow.
    public static let maxParameters = Double(1 << 50)
    /// KV cache bytes one token takes at f16 across all layers [Llama 3.1 405B: 516 KiB]. With
    /// the context bound this keeps any KV cache below 2^60 bytes.
    public static let maxKVBytesPerToken = Double(1 << 32)
    /// Sequences served at once (`--parallel`) and the micro-batch (`-ub`) a request may ask.
    public static let parallel = 1...1024
    public static let ubatch = 1...65536
    /// llama.cpp's `-t`: up to 16,384 CPU threads (the largest machines have a few thousand).
    public static let threads = 1...16384
    /// llama.cpp release numbers (b1 … b1000000; late 2026 releases are about b11000).
    public static let llamaBuild = 1...1_000_000

    /// A llama.cpp release number as people write it, `b3200` or `3200`; nil for anything else
    /// or a number beyond `llamaBuild`.
    public static func llamaBuild(_ text: String) -> Int? {
        let digits = text.hasPrefix("b") ? text.dropFirst() : Substring(text)
        guard let n = Int(digits), llamaBuild.contains(n) else { return nil }
        return n
    }
}
