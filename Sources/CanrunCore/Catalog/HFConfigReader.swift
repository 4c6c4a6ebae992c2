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

        public var description: String {
            switch self {
            case .notJSON(let reason): "not a Hugging Face config.json: \(reason)"
            case .missing(let key): "config.json has no \(key): is this a language model's config?"
            }
        }
    }

    public static func read(_ data: Data, id: String) throws -> (ModelSpec, Quantization?) {
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
        func int(_ keys: String...) -> Int? {
            for key in keys {
                if let n = c[key] as? Int { return n }
                if let d = c[key] as? Double, d == d.rounded() { return Int(d) }
            }
            return nil
        }
        func bool(_ key: String) -> Bool? { c[key] as? Bool }
        let modelType = (c["model_type"] as? String) ?? (root["model_type"] as? String) ?? ""
        let architecture = (root["architectures"] as? [String])?.first

        guard let layers = int("num_hidden_layers", "n_layer", "num_layers") else {
            throw ReadError.missing("num_hidden_layers")
        }
        guard let hidden = int("hidden_size", "n_embd", "d_model") else { throw ReadError.missing("hidden_size") }
        guard let heads = int("num_attention_heads", "n_head") else { throw ReadError.missing("num_attention_heads") }
        // transformers' class defaults for keys some families leave out of config.json.
        let defaults: [String: (vocab: Int, context: Int, globalEvery: Int)] = ["gemma3_text": (262_208, 131_072, 6)]
        let textType = (c["model_type"] as? String) ?? ""
        guard let vocab = int("vocab_size") ?? defaults[textType]?.vocab else { throw ReadError.missing("vocab_size") }
        let kvLora = int("kv_lora_rank")
        let headDim =
            int("head_dim")
            ?? (kvLora != nil ? (int("qk_nope_head_dim") ?? 0) + (int("qk_rope_head_dim") ?? 0) : hidden / heads)
        let isLlama4 = modelType.hasPrefix("llama4")
        let intermediate =
            int(isLlama4 ? "intermediate_size_mlp" : "intermediate_size", "ffn_dim", "n_inner") ?? 4 * hidden
        let tiedByDefault = modelType.hasPrefix("gemma")
        var spec = ModelSpec(
            id: id,
            name: (root["_name_or_path"] as? String) ?? id,
            family: modelType.isEmpty ? "unknown" : modelType,
            numHiddenLayers: layers,
            hiddenSize: hidden,
            intermediateSize: intermediate,
            numAttentionHeads: heads,
            numKeyValueHeads: int("num_key_value_heads", "n_head_kv") ?? heads,
            headDim: headDim,
            vocabSize: vocab,
            tieWordEmbeddings: bool("tie_word_embeddings") ?? (root["tie_word_embeddings"] as? Bool) ?? tiedByDefault,
            maxPositionEmbeddings: int("max_position_embeddings", "n_positions", "seq_length") ?? 0
        )
        spec.architecture = architecture
        spec.attentionBias = bool("attention_bias") ?? (modelType.hasPrefix("qwen2") ? true : nil)
        let qkNormTypes: Set = ["qwen3", "qwen3_moe", "gemma3", "gemma3_text", "olmo2", "glm4_moe"]
        spec.qkNorm = bool("use_qk_norm") ?? (qkNormTypes.contains(modelType) ? true : nil)

        spec.numExperts = int("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts")
        if (spec.numExperts ?? 0) > 1 {
            spec.numExpertsPerTok = int("num_experts_per_tok", "moe_topk", "num_experts_per_token")
            spec.moeIntermediateSize =
                int("moe_intermediate_size", "expert_intermediate_size")
                ?? (isLlama4 ? int("intermediate_size") : nil) ?? intermediate
            spec.numSharedExperts =
                int("n_shared_experts", "num_shared_experts")
                ?? (int("shared_expert_intermediate_size") != nil ? 1 : nil) ?? (isLlama4 ? 1 : nil)
            spec.sharedExpertIntermediateSize = int("shared_expert_intermediate_size")
            spec.firstKDenseReplace = int("first_k_dense_replace")
            spec.moeLayerStep = int("interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq")
            if isLlama4 { spec.denseIntermediateSize = int("intermediate_size_mlp") }
        } else {
            spec.numExperts = nil
        }
        if let kvLora, kvLora > 0 {
            spec.kvLoraRank = kvLora
            spec.qLoraRank = int("q_lora_rank")
            spec.qkNopeHeadDim = int("qk_nope_head_dim")
            spec.qkRopeHeadDim = int("qk_rope_head_dim")
            spec.vHeadDim = int("v_head_dim")
        }
        if let window = int("sliding_window"), window > 0, bool("use_sliding_window") ?? true {
            spec.slidingWindow = window
            if let types = c["layer_types"] as? [String], let firstFull = types.firstIndex(of: "full_attention") {
                spec.globalLayerEvery = firstFull + 1
            } else if let pattern = int("sliding_window_pattern") ?? defaults[textType]?.globalEvery {
                spec.globalLayerEvery = pattern
            } else if modelType == "gemma2" {
                spec.globalLayerEvery = 2
            }
        }
        if let chunk = int("attention_chunk_size"), chunk > 0 {
            spec.attentionChunkSize = chunk
            spec.globalLayerEvery = int("nope_layer_interval") ?? 4
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
        return (spec, quantization)
    }
}
