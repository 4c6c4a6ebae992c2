import Foundation

/// Reads a Hugging Face `config.json` into a `ModelSpec`: the families' own field names for MoE
/// (`num_experts`, `n_routed_experts`, `num_local_experts`), nested `text_config` of multimodal
/// models (Llama 4, Gemma 3, Mistral 3), MLA ranks, sliding-window layouts, and
/// `quantization_config` (GPTQ, AWQ, FP8, MXFP4, compressed-tensors).
public enum HFConfigReader {
    /// How the checkpoint's weights are stored, when `quantization_config` says.
    public struct Quantization: Sendable, Equatable, Codable {
        /// `gptq`, `awq`, `fp8`, `mxfp4`, `compressed-tensors`, `bitsandbytes`, …
        public var method: String
        public var bits: Int?
        public var groupSize: Int?

        public init(method: String, bits: Int?, groupSize: Int?) {
            self.method = method
            self.bits = bits
            self.groupSize = groupSize
        }
    }

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case notJSON(String)
        case missing(String)
        /// A value of the wrong kind, outside `ModelBounds`, or contradicting another.
        case invalid(ModelValidationError)

        public var description: String {
            switch self {
            case .notJSON(let reason): "not a Hugging Face config.json: \(reason)"
            case .missing(let key): "config.json has no \(key): is this a language model's config?"
            case .invalid(let error): "config.json: \(error)"
            }
        }
    }

    /// The range a key's value may take when read; values outside it are refused before any
    /// arithmetic uses them. `ModelSpec.validate` then checks the assembled model as a whole.
    static func bound(_ key: String) -> ClosedRange<Int> {
        switch key {
        case "num_hidden_layers", "n_layer", "num_layers": ModelBounds.layers
        case "hidden_size", "n_embd", "d_model": ModelBounds.hiddenSize
        case "num_attention_heads", "n_head", "num_key_value_heads", "n_head_kv": ModelBounds.heads
        case "vocab_size": ModelBounds.vocab
        case "head_dim", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim": 0...ModelBounds.headDim.upperBound
        case "max_position_embeddings", "n_positions", "seq_length", "sliding_window", "attention_chunk_size":
            0...ModelBounds.context.upperBound
        case "num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts", "num_experts_per_tok",
            "moe_topk", "num_experts_per_token":
            0...ModelBounds.experts.upperBound
        case "n_shared_experts", "num_shared_experts": ModelBounds.sharedExperts
        case "kv_lora_rank", "q_lora_rank": 0...ModelBounds.loraRank.upperBound
        case "first_k_dense_replace", "interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq",
            "sliding_window_pattern", "nope_layer_interval":
            0...ModelBounds.layers.upperBound
        default: 0...ModelBounds.intermediateSize.upperBound
        }
    }

    /// - Returns: the model, checked by `ModelSpec.validate`, and how its weights are stored.
    /// - Throws: `ReadError`: not JSON, a required key missing, or a value out of bounds.
    public static func read(_ data: Data, id: String) throws(ReadError) -> (ModelSpec, Quantization?) {
        do {
            let (spec, quantization) = try unchecked(data, id: id)
            try spec.validate()
            return (spec, quantization)
        } catch let error as ReadError {
            throw error
        } catch let error as ModelValidationError {
            throw .invalid(error)
        } catch {
            throw .notJSON("\(error)")
        }
    }

    private static func unchecked(_ data: Data, id: String) throws -> (ModelSpec, Quantization?) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ReadError.notJSON("invalid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw ReadError.notJSON("the top level is not an object") }
        // Multimodal configs keep the language model in text_config; its keys win.
        var c = root
        if let text = root["text_config"] as? [String: Any] { c.merge(text) { _, text in text } }
        let boolean = type(of: NSNumber(value: true))
        // The first of `keys` present, as an integer within its `bound`; anything else there (a
        // fraction, 1e300, a string, true) is refused naming the key.
        func int(_ keys: String...) throws -> Int? {
            for key in keys {
                guard let raw = c[key], !(raw is NSNull) else { continue }
                let range = bound(key)
                func refuse(_ shown: String) -> ModelValidationError {
                    ModelValidationError(
                        field: key,
                        value: shown,
                        requirement: "an integer from \(range.lowerBound) to \(range.upperBound)"
                    )
                }
                guard type(of: raw) != boolean else { throw refuse("\(raw as? Bool ?? false)") }
                if let n = raw as? Int {
                    guard range.contains(n) else { throw refuse("\(n)") }
                    return n
                }
                if let d = raw as? Double {
                    guard let n = Int(exactly: d), range.contains(n) else { throw refuse("\(d)") }
                    return n
                }
                throw refuse(raw is String ? "\"\(raw)\"" : "\(raw)")
            }
            return nil
        }
        func bool(_ key: String) -> Bool? { c[key] as? Bool }
        let modelType = (c["model_type"] as? String) ?? (root["model_type"] as? String) ?? ""
        let architecture = (root["architectures"] as? [String])?.first

        guard let layers = try int("num_hidden_layers", "n_layer", "num_layers") else {
            throw ReadError.missing("num_hidden_layers")
        }
        guard let hidden = try int("hidden_size", "n_embd", "d_model") else { throw ReadError.missing("hidden_size") }
        guard let heads = try int("num_attention_heads", "n_head") else {
            throw ReadError.missing("num_attention_heads")
        }
        // transformers' class defaults for keys some families leave out of config.json.
        let defaults: [String: (vocab: Int, context: Int, globalEvery: Int)] = ["gemma3_text": (262_208, 131_072, 6)]
        let textType = (c["model_type"] as? String) ?? ""
        guard let vocab = try int("vocab_size") ?? defaults[textType]?.vocab else {
            throw ReadError.missing("vocab_size")
        }
        guard
            let context = try int("max_position_embeddings", "n_positions", "seq_length") ?? defaults[textType]?.context
        else { throw ReadError.missing("max_position_embeddings") }
        let kvLora = try int("kv_lora_rank")
        // Bounded reads above keep these sums and the quotient (heads ≥ 1) exact.
        let headDim =
            try int("head_dim")
            ?? (kvLora != nil
                ? (try int("qk_nope_head_dim") ?? 0) + (try int("qk_rope_head_dim") ?? 0) : hidden / heads)
        let isLlama4 = modelType.hasPrefix("llama4")
        let intermediate =
            try int(isLlama4 ? "intermediate_size_mlp" : "intermediate_size", "ffn_dim", "n_inner") ?? 4 * hidden
        let tiedByDefault = modelType.hasPrefix("gemma")
        var spec = ModelSpec(
            id: id,
            name: (root["_name_or_path"] as? String) ?? id,
            family: modelType.isEmpty ? "unknown" : modelType,
            numHiddenLayers: layers,
            hiddenSize: hidden,
            intermediateSize: intermediate,
            numAttentionHeads: heads,
            numKeyValueHeads: try int("num_key_value_heads", "n_head_kv") ?? heads,
            headDim: headDim,
            vocabSize: vocab,
            tieWordEmbeddings: bool("tie_word_embeddings") ?? (root["tie_word_embeddings"] as? Bool) ?? tiedByDefault,
            maxPositionEmbeddings: context
        )
        spec.architecture = architecture
        spec.attentionBias = bool("attention_bias") ?? (modelType.hasPrefix("qwen2") ? true : nil)
        let qkNormTypes: Set = ["qwen3", "qwen3_moe", "gemma3", "gemma3_text", "olmo2", "glm4_moe"]
        spec.qkNorm = bool("use_qk_norm") ?? (qkNormTypes.contains(modelType) ? true : nil)

        spec.numExperts = try int("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts")
        if (spec.numExperts ?? 0) > 1 {
            spec.numExpertsPerTok = try int("num_experts_per_tok", "moe_topk", "num_experts_per_token")
            spec.moeIntermediateSize =
                try int("moe_intermediate_size", "expert_intermediate_size")
                ?? (isLlama4 ? try int("intermediate_size") : nil) ?? intermediate
            spec.numSharedExperts =
                try int("n_shared_experts", "num_shared_experts")
                ?? (try int("shared_expert_intermediate_size") != nil ? 1 : nil) ?? (isLlama4 ? 1 : nil)
            spec.sharedExpertIntermediateSize = try int("shared_expert_intermediate_size")
            spec.firstKDenseReplace = try int("first_k_dense_replace")
            spec.moeLayerStep = try int("interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq")
            if isLlama4 { spec.denseIntermediateSize = try int("intermediate_size_mlp") }
        } else {
            spec.numExperts = nil
        }
        if let kvLora, kvLora > 0 {
            spec.kvLoraRank = kvLora
            spec.qLoraRank = try int("q_lora_rank")
            spec.qkNopeHeadDim = try int("qk_nope_head_dim")
            spec.qkRopeHeadDim = try int("qk_rope_head_dim")
            spec.vHeadDim = try int("v_head_dim")
        }
        if let window = try int("sliding_window"), window > 0, bool("use_sliding_window") ?? true {
            spec.slidingWindow = window
            if let types = c["layer_types"] as? [String], let firstFull = types.firstIndex(of: "full_attention") {
                spec.globalLayerEvery = firstFull + 1
            } else if let pattern = try int("sliding_window_pattern") ?? defaults[textType]?.globalEvery {
                spec.globalLayerEvery = pattern
            } else if modelType == "gemma2" {
                spec.globalLayerEvery = 2
            }
        }
        if let chunk = try int("attention_chunk_size"), chunk > 0 {
            spec.attentionChunkSize = chunk
            spec.globalLayerEvery = try int("nope_layer_interval") ?? 4
        }
        if let scaling = c["rope_scaling"] as? [String: Any] {
            spec.ropeScaling = ((scaling["rope_type"] ?? scaling["type"]) as? String)?.lowercased()
        }
        if let scaling = c["rope_scaling"] as? [String: Any], spec.ropeScaling == "yarn",
            let factor = (scaling["factor"] as? NSNumber)?.doubleValue, factor > 1, factor <= ModelBounds.yarnFactor,
            let original = (scaling["original_max_position_embeddings"] as? NSNumber)?.intValue,
            ModelBounds.context.contains(original)
        {
            spec.yarnFactor = factor
            spec.yarnOriginalContext = original
            spec.yarnSource = "config.json rope_scaling"
        }
        spec.sources = ["config.json"]

        var quantization: Quantization?
        if let q = root["quantization_config"] as? [String: Any] {
            let method = (q["quant_method"] as? String) ?? "unknown"
            var bits = q["bits"] as? Int
            var group = q["group_size"] as? Int
            if method == "compressed-tensors", let groups = q["config_groups"] as? [String: Any],
                let weights = (groups.values.first as? [String: Any])?["weights"] as? [String: Any]
            {
                bits = weights["num_bits"] as? Int
                group = weights["group_size"] as? Int
            }
            if method == "fp8" { bits = bits ?? 8 }
            if method == "mxfp4" {
                bits = 4
                group = 32
            }
            quantization = Quantization(method: method, bits: bits, groupSize: group)
        }
        switch (quantization?.method, root["torch_dtype"] as? String ?? root["dtype"] as? String) {
        case ("fp8", _): spec.nativeFormat = "FP8"
        case ("mxfp4", _): spec.nativeFormat = "MXFP4"
        case (nil, "bfloat16"): spec.nativeFormat = "BF16"
        case (nil, "float16"): spec.nativeFormat = "F16"
        default: break
        }
        if spec.nativeFormat != nil { spec.nativeFormatSource = "config.json" }
        return (spec, quantization)
    }
}
