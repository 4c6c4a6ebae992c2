import Foundation

/// A model fact outside what any real model has (`ModelBounds`), or facts that contradict each
/// other: the field as Hugging Face's `config.json` names it, the value as given and what it
/// must be. Every model source (catalog TOML, config.json files and request bodies, GGUF
/// metadata, `models.d`) stops here before any arithmetic.
public struct ModelValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `num_attention_heads`, `hidden_size`, …
    public var field: String
    /// The value as the source gave it (`0`, `1e+19`, `"32"`).
    public var value: String
    /// What the value must be: `an integer from 1 to 2048`.
    public var requirement: String

    public init(field: String, value: String, requirement: String) {
        self.field = field
        self.value = value
        self.requirement = requirement
    }

    public var description: String { "\(field) is \(value); it must be \(requirement)" }
}

extension ModelSpec {
    /// Checks every architecture fact against `ModelBounds` and the rules the shapes need
    /// (query heads a multiple of KV heads, experts chosen among the experts there are, MLA
    /// head dimensions present), in field order, and the model's size as a whole.
    /// - Throws: `ModelValidationError` for the first fact that fails.
    public func validate() throws(ModelValidationError) {
        if id.isEmpty || id != id.lowercased() || id.contains(where: \.isWhitespace) || id.count > 200 {
            throw ModelValidationError(field: "id", value: "'\(id.prefix(200))'", requirement: "a lowercase slug")
        }
        try Self.check("num_hidden_layers", numHiddenLayers, ModelBounds.layers)
        try Self.check("hidden_size", hiddenSize, ModelBounds.hiddenSize)
        try Self.check("intermediate_size", intermediateSize, ModelBounds.intermediateSize)
        try Self.check("num_attention_heads", numAttentionHeads, ModelBounds.heads)
        try Self.check("num_key_value_heads", numKeyValueHeads, 1...numAttentionHeads)
        if numAttentionHeads % numKeyValueHeads != 0 {
            throw ModelValidationError(
                field: "num_key_value_heads",
                value: "\(numKeyValueHeads)",
                requirement: "a divisor of num_attention_heads (\(numAttentionHeads))"
            )
        }
        try Self.check("head_dim", headDim, ModelBounds.headDim)
        try Self.check("vocab_size", vocabSize, ModelBounds.vocab)
        try Self.check("max_position_embeddings", maxPositionEmbeddings, ModelBounds.context)
        try validateExperts()
        try validateMLA()
        try Self.check("sliding_window", slidingWindow, ModelBounds.context)
        try Self.check("attention_chunk_size", attentionChunkSize, ModelBounds.context)
        try Self.check("yarn_original_context", yarnOriginalContext, ModelBounds.context)
        if let factor = yarnFactor, !(factor.isFinite && factor > 1 && factor <= ModelBounds.yarnFactor) {
            throw ModelValidationError(
                field: "yarn_factor",
                value: "\(factor)",
                requirement: "a number above 1 and at most \(ModelBounds.yarnFactor)"
            )
        }
        // Every lookup compares a query with each name: a file's list stays a list of names.
        if let names = ollama,
            names.count > 64 || names.contains(where: { $0.count > ModelCatalog.maxQueryLength || !$0.contains(":") })
        {
            throw ModelValidationError(
                field: "ollama",
                value: "\(names.count) names",
                requirement:
                    "at most 64 Ollama names of the form NAME:TAG, each at most \(ModelCatalog.maxQueryLength) characters"
            )
        }
        for (field, name) in [("native_format", nativeFormat), ("ollama_quant", ollamaQuant)] {
            guard let name else { continue }
            let plain =
                (1...32).contains(name.count) && name.allSatisfy { $0.isLetter || $0.isNumber || "_-".contains($0) }
            guard !plain else { continue }
            throw ModelValidationError(
                field: field,
                value: "'\(name.prefix(40))'",
                requirement: "a format or quantization name (letters, digits, _ and -, at most 32)"
            )
        }
        try Self.check("global_layer_every", globalLayerEvery, ModelBounds.layers)
        for (field, count) in [
            ("params_total_published", paramsTotalPublished), ("params_active_published", paramsActivePublished),
        ] {
            guard let count else { continue }
            guard count.isFinite, count > 0, count <= ModelBounds.maxParameters else {
                throw ModelValidationError(
                    field: field,
                    value: "\(count)",
                    requirement: "a positive count of at most \(Int64(ModelBounds.maxParameters))"
                )
            }
        }
        let parameters = estimatedParameters
        if parameters > ModelBounds.maxParameters {
            throw ModelValidationError(
                field: "the model's size (from its shapes)",
                value: "\(parameters.formatted(significantDigits: 3)) parameters",
                requirement: "at most \(Int64(ModelBounds.maxParameters)) parameters (2^50)"
            )
        }
        let kvPerToken = Double(numHiddenLayers) * 2 * 2 * Double(KVCachePlan.rowElements(self, mla: .expanded).k)
        if kvPerToken > ModelBounds.maxKVBytesPerToken {
            throw ModelValidationError(
                field: "its f16 KV cache per token (from the attention shapes)",
                value: "\(kvPerToken.formatted(significantDigits: 3)) bytes",
                requirement: "at most \(Int64(ModelBounds.maxKVBytesPerToken)) bytes (2^32) per token"
            )
        }
    }

    private func validateExperts() throws(ModelValidationError) {
        guard let experts = numExperts, experts > 1 else {
            // One expert or none is a dense model; the expert fields are not used.
            try Self.check("num_experts", numExperts, 0...1)
            return
        }
        try Self.check("num_experts", experts, ModelBounds.experts)
        guard let k = numExpertsPerTok else {
            throw ModelValidationError(
                field: "num_experts_per_tok",
                value: "missing",
                requirement: "given for a mixture of experts (1 to num_experts)"
            )
        }
        try Self.check("num_experts_per_tok", k, 1...experts)
        guard let width = moeIntermediateSize else {
            throw ModelValidationError(
                field: "moe_intermediate_size",
                value: "missing",
                requirement: "given for a mixture of experts"
            )
        }
        try Self.check("moe_intermediate_size", width, ModelBounds.intermediateSize)
        try Self.check("num_shared_experts", numSharedExperts, ModelBounds.sharedExperts)
        try Self.check("shared_expert_intermediate_size", sharedExpertIntermediateSize, ModelBounds.intermediateSize)
        try Self.check("first_k_dense_replace", firstKDenseReplace, 0...numHiddenLayers)
        try Self.check("moe_layer_step", moeLayerStep, 1...numHiddenLayers)
        try Self.check("dense_intermediate_size", denseIntermediateSize, ModelBounds.intermediateSize)
    }

    private func validateMLA() throws(ModelValidationError) {
        try Self.check("kv_lora_rank", kvLoraRank, 0...ModelBounds.loraRank.upperBound)
        guard usesMLA else { return }
        try Self.check("q_lora_rank", qLoraRank, 0...ModelBounds.loraRank.upperBound)
        guard let rope = qkRopeHeadDim else {
            throw ModelValidationError(
                field: "qk_rope_head_dim",
                value: "missing",
                requirement: "given for multi-head latent attention (kv_lora_rank is set)"
            )
        }
        try Self.check("qk_rope_head_dim", rope, ModelBounds.headDim)
        try Self.check("qk_nope_head_dim", qkNopeHeadDim, 0...ModelBounds.headDim.upperBound)
        try Self.check("v_head_dim", vHeadDim, ModelBounds.headDim)
    }

    private static func check(_ field: String, _ value: Int?, _ range: ClosedRange<Int>) throws(ModelValidationError) {
        guard let value, !range.contains(value) else { return }
        throw ModelValidationError(
            field: field,
            value: "\(value)",
            requirement: "an integer from \(range.lowerBound) to \(range.upperBound)"
        )
    }

    /// An upper estimate of the weights the shapes describe, in floating point so that no shape
    /// can overflow it: every layer counted with the wider of its dense and MoE feed-forward.
    var estimatedParameters: Double {
        let h = Double(hiddenSize)
        let heads = Double(numAttentionHeads)
        let attention: Double
        if usesMLA {
            let rope = Double(qkRopeHeadDim ?? 0)
            let nope = Double(qkNopeHeadDim ?? 0)
            let v = Double(vHeadDim ?? headDim)
            let kvRank = Double(kvLoraRank ?? 0)
            let qRank = Double(qLoraRank ?? 0)
            let query = qRank > 0 ? h * qRank + qRank * heads * (nope + rope) : h * heads * (nope + rope)
            attention = query + h * (kvRank + rope) + kvRank * heads * (nope + v) + heads * v * h
        } else {
            let d = Double(headDim)
            attention = 2 * h * heads * d + 2 * h * Double(numKeyValueHeads) * d
        }
        let dense = 3 * h * Double(max(intermediateSize, denseIntermediateSize ?? 0))
        var moe = 0.0
        if isMoE {
            let experts = Double(numExperts ?? 0)
            let width = Double(moeIntermediateSize ?? intermediateSize)
            let shared = Double(numSharedExperts ?? 0)
            let sharedWidth = Double(sharedExpertIntermediateSize ?? moeIntermediateSize ?? intermediateSize)
            moe = 3 * h * width * experts + 3 * h * sharedWidth * shared + h * experts
        }
        return Double(numHiddenLayers) * (attention + max(dense, moe)) + 2 * h * Double(vocabSize)
    }
}

extension Double {
    /// `3.07e+17`-style text for numbers too large to print whole.
    func formatted(significantDigits digits: Int) -> String {
        String(format: "%.\(max(1, digits) - 1)e", self)
    }
}
