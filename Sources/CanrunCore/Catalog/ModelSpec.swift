/// One model's architecture as canrun's catalog (`config/models/*.toml`) or a model file gives
/// it, named as in Hugging Face `config.json`. Everything canrun computes about a model (parameter
/// counts, weight bytes per quantization, KV cache per token) derives from these shapes.
public struct ModelSpec: Sendable, Equatable, Codable {
    /// Lowercase slug (`llama-3.1-8b`).
    public var id: String
    public var name: String
    public var family: String
    public var hfRepo: String?
    /// A public Hugging Face repository of this model's GGUF files in the usual llama-quantize
    /// types (`llama-server -hf OWNER/REPO:Q4_K_M`); nil when the catalog names none.
    public var ggufRepo: String?
    public var aliases: [String]?
    public var architecture: String?
    public var numHiddenLayers: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    /// Explicit: Mistral Nemo's is 128, not hidden ÷ heads = 160.
    public var headDim: Int
    public var vocabSize: Int
    public var tieWordEmbeddings: Bool
    public var maxPositionEmbeddings: Int
    public var attentionBias: Bool?
    public var qkNorm: Bool?
    /// `gated` (3 FFN matrices) or `plain` (2).
    public var mlp: String?

    public var numExperts: Int?
    public var numExpertsPerTok: Int?
    public var moeIntermediateSize: Int?
    public var numSharedExperts: Int?
    public var sharedExpertIntermediateSize: Int?
    public var firstKDenseReplace: Int?
    public var moeLayerStep: Int?
    public var denseIntermediateSize: Int?

    public var kvLoraRank: Int?
    public var qLoraRank: Int?
    public var qkNopeHeadDim: Int?
    public var qkRopeHeadDim: Int?
    public var vHeadDim: Int?

    public var slidingWindow: Int?
    public var globalLayerEvery: Int?
    public var attentionChunkSize: Int?

    public var paramsTotalPublished: Double?
    public var paramsActivePublished: Double?
    public var paramsSource: String?
    public var sources: [String]?
    public var notes: String?
    /// YaRN context extension the model documents (its card, or config.json's `rope_scaling`):
    /// the factor over `yarnOriginalContext`, and where it is documented. Contexts beyond
    /// `maxPositionEmbeddings` up to `yarnMaxContext` are answered with llama.cpp's YaRN flags.
    public var yarnFactor: Double?
    public var yarnOriginalContext: Int?
    public var yarnSource: String?
    /// The RoPE scaling the model's config.json or GGUF declares (`yarn`, `linear`, `dynamic`,
    /// `llama3`, …): `linear` and `llama3` are part of the trained context, which llama.cpp reads
    /// from the file; `dynamic` (NTK) is a transformers feature llama.cpp does not implement.
    public var ropeScaling: String?
    /// The Ollama library names of these weights (`llama3.1:8b`, `llama3.1:latest`, and the
    /// explicit tag `llama3.1:8b-instruct-q4_K_M`), all shipping `ollamaQuant`; other
    /// quantizations of the same weights are the explicit tag's stem with their own suffix.
    public var ollama: [String]?
    /// The format the model's own checkpoint ships in: `BF16`, `FP8` (DeepSeek V3/R1, Kimi K2:
    /// config.json's `quantization_config` fp8, e4m3 in 128 × 128 blocks) or `MXFP4` (gpt-oss's
    /// experts); nil where the catalog does not say. A format llama.cpp has no type for is
    /// answered as the GGUF type it converts to (`QuantTable.Format.ggufAs`).
    public var nativeFormat: String?
    /// Where `nativeFormat` is stated.
    public var nativeFormatSource: String?
    /// The quantization the `ollama` names ship (`Q4_K_M`, `Q4_0`, `MXFP4`, …).
    public var ollamaQuant: String?

    public init(
        id: String,
        name: String,
        family: String,
        numHiddenLayers: Int,
        hiddenSize: Int,
        intermediateSize: Int,
        numAttentionHeads: Int,
        numKeyValueHeads: Int,
        headDim: Int,
        vocabSize: Int,
        tieWordEmbeddings: Bool,
        maxPositionEmbeddings: Int
    ) {
        self.id = id
        self.name = name
        self.family = family
        self.numHiddenLayers = numHiddenLayers
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.vocabSize = vocabSize
        self.tieWordEmbeddings = tieWordEmbeddings
        self.maxPositionEmbeddings = maxPositionEmbeddings
    }

    public var isMoE: Bool { (numExperts ?? 0) > 1 }
    public var usesMLA: Bool { (kvLoraRank ?? 0) > 0 }

    /// Whether layer `index` (0-based) has routed experts.
    public func isMoELayer(_ index: Int) -> Bool {
        guard isMoE else { return false }
        let first = firstKDenseReplace ?? 0
        guard index >= first else { return false }
        let step = max(1, moeLayerStep ?? 1)
        return (index - first + 1) % step == 0
    }

    /// Whether layer `index` attends to the whole context (not a sliding window or chunk).
    public func isFullAttentionLayer(_ index: Int) -> Bool {
        guard slidingWindow != nil || attentionChunkSize != nil else { return true }
        guard let every = globalLayerEvery, every > 0 else { return false }
        return (index + 1) % every == 0
    }

    /// FFN width of a dense layer.
    public var denseFFNWidth: Int { denseIntermediateSize ?? intermediateSize }
}

extension ModelSpec {
    /// The longest context YaRN reaches as documented (factor × original, in whole tokens), when
    /// beyond the trained one; nil otherwise.
    public var yarnMaxContext: Int? {
        guard let factor = yarnFactor, factor > 1, let original = yarnOriginalContext, original > 0 else { return nil }
        let reach = min(Double(ModelBounds.context.upperBound), (factor * Double(original)).rounded(.down))
        return Int(reach) > maxPositionEmbeddings ? Int(reach) : nil
    }

    /// The longest context an answer may ask for: the trained one, or YaRN's where documented.
    public var usableContext: Int { yarnMaxContext ?? maxPositionEmbeddings }

    /// llama.cpp's flags for a context beyond the trained one (`--rope-scaling yarn …`); nil when
    /// `context` needs none or no YaRN is documented.
    public func yarnFlags(context: Int) -> String? {
        guard context > maxPositionEmbeddings, yarnMaxContext != nil, let factor = yarnFactor,
            let original = yarnOriginalContext
        else { return nil }
        let shown = factor.rounded() == factor ? String(Int(factor)) : "\(factor)"
        return "--rope-scaling yarn --rope-scale \(shown) --yarn-orig-ctx \(original)"
    }
}
