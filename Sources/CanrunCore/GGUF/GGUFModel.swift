/// A model described by GGUF files (one, or the parts of a split): its architecture read from the
/// metadata, and its weights measured exactly from the tensor table.
public struct GGUFModel: Sendable, Equatable {
    public var spec: ModelSpec
    /// Σ of every tensor's exact bytes over all parts.
    public var weightsBytes: Int64
    /// Routed-expert tensor bytes (3-D `*_exps` tensors).
    public var expertBytes: Int64
    /// llama-quantize's file type (`general.file_type`), when written: `Q4_K_M`, …
    public var fileType: String?
    public var tensorCount: Int
    /// Σ of the tensors' elements: the file's exact parameter count.
    public var parameters: Int64
    /// Bytes per ggml type, for "which tensors got what".
    public var bytesByType: [String: Int64]
    /// Bytes per type (upper-case name) of every tensor but the token embedding table (what
    /// llama.cpp multiplies).
    public var multipliedBytesByType: [String: Int64]
    /// The token embedding table's bytes when the file has its own output head (a token reads one
    /// row of it); 0 when the head is tied to it.
    public var embeddingBytes: Int64

    /// llama.h `enum llama_ftype` → name.
    static let fileTypes: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
        12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
        19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
        26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
        37: "TQ2_0", 38: "MXFP4_MOE",
    ]

    /// - Parameters:
    ///   - parts: the files of one model; the first holds the metadata (gguf-split keeps it there).
    ///   - id: the catalog-style id to give it (e.g. from the file name).
    public init(parts: [GGUFFile], id: String) throws(GGUFError) {
        guard let first = parts.first else { throw GGUFError.inconsistent("no GGUF file given") }
        let meta = first.metadata
        if let count = meta["split.count"]?.intValue, count != parts.count {
            throw GGUFError.inconsistent("the model is split in \(count) files but \(parts.count) were found")
        }
        guard let arch = meta["general.architecture"]?.stringValue, !arch.isEmpty else {
            throw GGUFError.inconsistent("general.architecture is missing: not a model file")
        }
        // Each value within its `ModelBounds` range before anything is derived from it.
        func int(_ key: String) throws(GGUFError) -> Int? {
            let value = meta[arch + "." + key]
            // Some architectures give per-layer arrays (head counts, FFN widths): the widest.
            guard let value, let n = value.intValue ?? value.arrayValue?.compactMap(\.intValue).max() else {
                if let value, value.doubleValue != nil || value.arrayValue != nil {
                    throw .invalidModel(Self.refusal(arch + "." + key, "\(value)", Self.bound(key)))
                }
                return nil
            }
            let range = Self.bound(key)
            guard range.contains(n) else { throw .invalidModel(Self.refusal(arch + "." + key, "\(n)", range)) }
            return n
        }
        let tensors = parts.flatMap(\.tensors)
        func tensor(_ name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }
        guard let layers = try int("block_count"), let hidden = try int("embedding_length"),
            let heads = try int("attention.head_count")
        else {
            throw GGUFError.inconsistent("\(arch).block_count, embedding_length or attention.head_count is missing")
        }
        // The reader bounds every dimension to 2^40, so these conversions are exact.
        let vocabKey = try int("vocab_size")
        let vocab =
            meta["tokenizer.ggml.tokens"]?.arrayValue?.count ?? vocabKey
            ?? tensor("token_embd.weight").map { Int($0.shape.last ?? 0) } ?? 0
        let (ffnKey, expertFFN) = (try int("feed_forward_length"), try int("expert_feed_forward_length"))
        let ffn =
            ffnKey ?? tensor("blk.0.ffn_up.weight")?.shape.dropFirst().first.map { Int($0) } ?? expertFFN ?? 0
        var spec = ModelSpec(
            id: id,
            name: meta["general.name"]?.stringValue ?? id,
            family: arch,
            numHiddenLayers: layers,
            hiddenSize: hidden,
            intermediateSize: ffn,
            numAttentionHeads: heads,
            numKeyValueHeads: try int("attention.head_count_kv") ?? heads,
            headDim: try int("attention.key_length") ?? hidden / max(1, heads),
            vocabSize: vocab,
            tieWordEmbeddings: tensor("output.weight") == nil,
            maxPositionEmbeddings: try int("context_length") ?? 0
        )
        spec.architecture = arch
        spec.numExperts = try int("expert_count")
        spec.numExpertsPerTok = try int("expert_used_count")
        spec.moeIntermediateSize = try int("expert_feed_forward_length")
        if spec.moeIntermediateSize == nil, (spec.numExperts ?? 0) > 0 {
            // Mixtral-style files (llama, no expert_feed_forward_length) have one FFN width, the
            // experts': llama.cpp reads feed_forward_length for them. The tensor says it first.
            spec.moeIntermediateSize =
                tensor("blk.0.ffn_up_exps.weight")?.shape.dropFirst().first.map { Int($0) } ?? ffnKey
        }
        spec.numSharedExperts = try int("expert_shared_count")
        spec.firstKDenseReplace = try int("leading_dense_block_count")
        spec.kvLoraRank = try int("attention.kv_lora_rank")
        spec.qLoraRank = try int("attention.q_lora_rank")
        if spec.usesMLA {
            spec.qkRopeHeadDim = try int("rope.dimension_count")
            spec.vHeadDim = try int("attention.value_length")
            spec.qkNopeHeadDim = spec.qkRopeHeadDim.map { max(0, spec.headDim - $0) }
        }
        spec.slidingWindow = try int("attention.sliding_window")
        // YaRN as convert_hf_to_gguf.py writes config.json's rope_scaling: llama.cpp applies it from
        // the metadata; out-of-range figures leave the context at the trained one.
        spec.ropeScaling = meta[arch + ".rope.scaling.type"]?.stringValue?.lowercased()
        if spec.ropeScaling == "yarn", let factor = meta[arch + ".rope.scaling.factor"]?.doubleValue,
            factor > 1, factor <= ModelBounds.yarnFactor,
            let original = meta[arch + ".rope.scaling.original_context_length"]?.intValue,
            ModelBounds.context.contains(original)
        {
            spec.yarnFactor = factor
            spec.yarnOriginalContext = original
            spec.yarnSource = "GGUF metadata rope.scaling"
        }
        spec.qkNorm = tensor("blk.0.attn_q_norm.weight") != nil
        spec.attentionBias = tensor("blk.0.attn_q.bias") != nil
        spec.sources = ["GGUF metadata and tensor table"]
        do {
            try spec.validate()
        } catch {
            throw .invalidModel(Self.inGGUFTerms(error, arch: arch))
        }
        self.spec = spec
        // Each tensor is bounded by the reader, but a table of many can still sum past any
        // real model: refuse it rather than overflow.
        var total: Int64 = 0
        var elements: Int64 = 0
        for t in tensors {
            total += t.bytes
            elements += t.shape.reduce(1, *)
            guard total <= Self.maxTensorBytes, elements <= Int64(ModelBounds.maxParameters) else {
                throw GGUFError.implausible(
                    "the tensor table holds more than \(Self.maxTensorBytes) bytes or 2^50 weights (at \(t.name))"
                )
            }
        }
        // A vocabulary-only file (llama.cpp ships them for its tokenizer tests) has metadata and
        // no weights: fitting it would report a model that costs nothing.
        guard total > 0 else {
            throw GGUFError.inconsistent(
                "the tensor table holds no weights (\(tensors.count) tensors, 0 bytes): a vocabulary-only file, not a model"
            )
        }
        weightsBytes = total
        expertBytes = tensors.filter { $0.name.contains("_exps") }.reduce(0) { $0 + $1.bytes }
        fileType = meta["general.file_type"]?.intValue.flatMap { GGUFModel.fileTypes[$0] }
        tensorCount = tensors.count
        parameters = elements
        bytesByType = tensors.reduce(into: [:]) { $0[$1.typeName, default: 0] += $1.bytes }
        multipliedBytesByType = tensors.filter { $0.name != "token_embd.weight" }.reduce(into: [:]) {
            $0[$1.typeName.uppercased(), default: 0] += $1.bytes
        }
        embeddingBytes = tensor("output.weight") == nil ? 0 : tensor("token_embd.weight")?.bytes ?? 0
    }

    /// The largest tensor table canrun believes: 1 PiB, hundreds of times the largest real model.
    static let maxTensorBytes: Int64 = 1 << 50

    /// The range an `ARCH.key` integer may take (`ModelBounds`, under the GGUF key's meaning).
    static func bound(_ key: String) -> ClosedRange<Int> {
        switch key {
        case "block_count": ModelBounds.layers
        case "embedding_length": ModelBounds.hiddenSize
        case "attention.head_count", "attention.head_count_kv": ModelBounds.heads
        case "attention.key_length", "attention.value_length", "rope.dimension_count":
            0...ModelBounds.headDim.upperBound
        case "context_length", "attention.sliding_window": 0...ModelBounds.context.upperBound
        case "expert_count", "expert_used_count": 0...ModelBounds.experts.upperBound
        case "expert_shared_count": ModelBounds.sharedExperts
        case "leading_dense_block_count": 0...ModelBounds.layers.upperBound
        case "attention.kv_lora_rank", "attention.q_lora_rank": 0...ModelBounds.loraRank.upperBound
        case "vocab_size": ModelBounds.vocab
        default: 0...ModelBounds.intermediateSize.upperBound
        }
    }

    static func refusal(_ key: String, _ value: String, _ range: ClosedRange<Int>) -> ModelValidationError {
        ModelValidationError(
            field: key,
            value: value,
            requirement: "an integer from \(range.lowerBound) to \(range.upperBound)"
        )
    }

    /// A validation error about the assembled model, its field named as the GGUF names it.
    static func inGGUFTerms(_ error: ModelValidationError, arch: String) -> ModelValidationError {
        let keys = [
            "num_hidden_layers": "block_count", "hidden_size": "embedding_length",
            "intermediate_size": "feed_forward_length", "num_attention_heads": "attention.head_count",
            "num_key_value_heads": "attention.head_count_kv", "head_dim": "attention.key_length",
            "max_position_embeddings": "context_length", "num_experts": "expert_count",
            "num_experts_per_tok": "expert_used_count", "moe_intermediate_size": "expert_feed_forward_length",
            "num_shared_experts": "expert_shared_count", "sliding_window": "attention.sliding_window",
            "kv_lora_rank": "attention.kv_lora_rank", "qk_rope_head_dim": "rope.dimension_count",
            "v_head_dim": "attention.value_length",
        ]
        var named = error
        if let key = keys[error.field] { named.field = "\(arch).\(key) (\(error.field))" }
        return named
    }

    /// The file's weights as the fit engine takes them: exact, from the tensor table.
    public var weights: WeightsEstimate {
        WeightsEstimate(
            quant: fileType ?? "file",
            bytes: weightsBytes,
            bytesByType: bytesByType,
            expertBytes: expertBytes,
            embeddingBytes: embeddingBytes,
            multipliedBytesByType: multipliedBytesByType
        )
    }
}
