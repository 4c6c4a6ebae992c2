/// The weight tensors a model has, named and shaped as llama.cpp's GGUF files name them
/// (`blk.3.attn_q.weight`, `blk.3.ffn_down_exps.weight`), built from the architecture alone.
/// Parameter counts and per-quantization sizes are sums over this list.
public struct TensorInventory: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String {
            didSet { role = Role(name: name) }
        }
        /// ggml order: `shape[0]` is the row length (the dimension quantization blocks run along).
        public var shape: [Int64]
        /// The block index for `blk.N.` tensors.
        public var layer: Int?
        /// Routed-expert tensors (all experts in one 3-D tensor).
        public var isExpert: Bool
        /// What the tensor is, from its name, as llama-quantize's rules ask (computed once).
        public private(set) var role: Role

        public init(name: String, shape: [Int64], layer: Int?, isExpert: Bool) {
            self.name = name
            self.shape = shape
            self.layer = layer
            self.isExpert = isExpert
            role = Role(name: name)
        }

        /// The tensor kinds llama.cpp's quantizer treats differently, matched as it matches them
        /// (`name.find("ffn_down")` covers routed and shared experts).
        public enum Role: Sendable, Equatable {
            case tokenEmbedding, output, attentionQ, attentionK, attentionV, attentionOutput, ffnGate, ffnUp, ffnDown
            case router, other

            init(name: String) {
                if name == "token_embd.weight" {
                    self = .tokenEmbedding
                } else if name == "output.weight" {
                    self = .output
                } else if name.contains("ffn_gate_inp") {
                    self = .router
                } else if name.contains("attn_v.weight") {
                    self = .attentionV
                } else if name.contains("attn_k.weight") {
                    self = .attentionK
                } else if name.contains("attn_q.weight") {
                    self = .attentionQ
                } else if name.contains("attn_output.weight") {
                    self = .attentionOutput
                } else if name.contains("ffn_down") {
                    self = .ffnDown
                } else if name.contains("ffn_gate") {
                    self = .ffnGate
                } else if name.contains("ffn_up") {
                    self = .ffnUp
                } else {
                    self = .other
                }
            }
        }

        public var elements: Int64 { shape.reduce(1, *) }
        public var rowLength: Int64 { shape.first ?? 0 }
    }

    public var tensors: [Tensor]

    public init(tensors: [Tensor]) { self.tensors = tensors }

    public init(_ m: ModelSpec) {
        var t: [Tensor] = []
        let h = Int64(m.hiddenSize)
        let v = Int64(m.vocabSize)
        func add(_ name: String, _ shape: [Int64], layer: Int? = nil, expert: Bool = false) {
            t.append(Tensor(name: name, shape: shape, layer: layer, isExpert: expert))
        }
        add("token_embd.weight", [h, v])
        for i in 0..<m.numHiddenLayers {
            let p = "blk.\(i)."
            add(p + "attn_norm.weight", [h], layer: i)
            let heads = Int64(m.numAttentionHeads)
            if m.usesMLA {
                let rope = Int64(m.qkRopeHeadDim ?? 0)
                let nope = Int64(m.qkNopeHeadDim ?? 0)
                let vDim = Int64(m.vHeadDim ?? m.headDim)
                let kvRank = Int64(m.kvLoraRank ?? 0)
                if let qRank = m.qLoraRank, qRank > 0 {
                    add(p + "attn_q_a.weight", [h, Int64(qRank)], layer: i)
                    add(p + "attn_q_a_norm.weight", [Int64(qRank)], layer: i)
                    add(p + "attn_q_b.weight", [Int64(qRank), heads * (nope + rope)], layer: i)
                } else {
                    add(p + "attn_q.weight", [h, heads * (nope + rope)], layer: i)
                }
                add(p + "attn_kv_a_mqa.weight", [h, kvRank + rope], layer: i)
                add(p + "attn_kv_a_norm.weight", [kvRank], layer: i)
                add(p + "attn_kv_b.weight", [kvRank, heads * (nope + vDim)], layer: i)
                add(p + "attn_output.weight", [heads * vDim, h], layer: i)
            } else {
                let d = Int64(m.headDim)
                let kv = Int64(m.numKeyValueHeads)
                add(p + "attn_q.weight", [h, heads * d], layer: i)
                add(p + "attn_k.weight", [h, kv * d], layer: i)
                add(p + "attn_v.weight", [h, kv * d], layer: i)
                add(p + "attn_output.weight", [heads * d, h], layer: i)
                if m.architecture == "GptOssForCausalLM" {
                    // gpt-oss: an output-projection bias and one learned attention sink per head.
                    add(p + "attn_output.bias", [h], layer: i)
                    add(p + "attn_sinks.weight", [heads], layer: i)
                }
                if m.attentionBias ?? false {
                    add(p + "attn_q.bias", [heads * d], layer: i)
                    add(p + "attn_k.bias", [kv * d], layer: i)
                    add(p + "attn_v.bias", [kv * d], layer: i)
                }
                if m.qkNorm ?? false {
                    add(p + "attn_q_norm.weight", [d], layer: i)
                    add(p + "attn_k_norm.weight", [d], layer: i)
                }
            }
            add(p + "ffn_norm.weight", [h], layer: i)
            let gated = m.mlp != "plain"
            if m.isMoELayer(i) {
                let n = Int64(m.numExperts ?? 0)
                let ff = Int64(m.moeIntermediateSize ?? m.intermediateSize)
                add(p + "ffn_gate_inp.weight", [h, n], layer: i)
                if gated { add(p + "ffn_gate_exps.weight", [h, ff, n], layer: i, expert: true) }
                add(p + "ffn_up_exps.weight", [h, ff, n], layer: i, expert: true)
                add(p + "ffn_down_exps.weight", [ff, h, n], layer: i, expert: true)
                if m.architecture == "GptOssForCausalLM" {
                    add(p + "ffn_gate_inp.bias", [n], layer: i)
                    add(p + "ffn_gate_exps.bias", [ff, n], layer: i, expert: true)
                    add(p + "ffn_up_exps.bias", [ff, n], layer: i, expert: true)
                    add(p + "ffn_down_exps.bias", [h, n], layer: i, expert: true)
                }
                let shared = Int64(m.numSharedExperts ?? 0)
                if shared > 0 {
                    let sff =
                        Int64(m.sharedExpertIntermediateSize ?? m.moeIntermediateSize ?? m.intermediateSize) * shared
                    if gated { add(p + "ffn_gate_shexp.weight", [h, sff], layer: i) }
                    add(p + "ffn_up_shexp.weight", [h, sff], layer: i)
                    add(p + "ffn_down_shexp.weight", [sff, h], layer: i)
                }
            } else {
                let ff = Int64(m.denseFFNWidth)
                if gated { add(p + "ffn_gate.weight", [h, ff], layer: i) }
                add(p + "ffn_up.weight", [h, ff], layer: i)
                add(p + "ffn_down.weight", [ff, h], layer: i)
            }
        }
        add("output_norm.weight", [h])
        if !m.tieWordEmbeddings { add("output.weight", [h, v]) }
        tensors = t
    }

    /// Weights of the whole model.
    public var totalParameters: Int64 { tensors.reduce(0) { $0 + $1.elements } }

    /// Weights one token uses: every tensor, but only `k` of `n` routed experts, and not the input
    /// embedding table (a token reads one row of it) unless it doubles as the output head.
    /// This is what model cards call "active" (gpt-oss-20b: 3.61B).
    public func activeParameters(_ m: ModelSpec) -> Int64 {
        let n = Int64(max(1, m.numExperts ?? 1))
        let k = Int64(m.numExpertsPerTok ?? Int(n))
        return tensors.reduce(0) { sum, t in
            if t.name == "token_embd.weight" && !m.tieWordEmbeddings { return sum }
            return sum + (t.isExpert ? t.elements / n * k : t.elements)
        }
    }
}
