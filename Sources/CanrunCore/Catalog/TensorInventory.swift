/// The weight tensors a model has, named and shaped as llama.cpp's GGUF files name them
/// (`blk.3.attn_q.weight`, `blk.3.ffn_down_exps.weight`), built from the architecture alone.
/// Parameter counts and per-quantization sizes are sums over this list.
public struct TensorInventory: Sendable, Equatable {
    public struct Tensor: Sendable, Equatable {
        public var name: String {
            didSet {
                role = Role(name: name)
                isWeight = name.hasSuffix("weight")
            }
        }
        /// ggml order: `shape[0]` is the row length (the dimension quantization blocks run along).
        public var shape: [Int64]
        /// The block index for `blk.N.` tensors.
        public var layer: Int?
        /// Routed-expert tensors (all experts in one 3-D tensor).
        public var isExpert: Bool
        /// What the tensor is, from its name, as llama-quantize's rules ask (computed once).
        public private(set) var role: Role
        /// llama-quantize only quantizes tensors whose names end in `weight`; biases keep F32.
        public private(set) var isWeight: Bool

        public init(name: String, shape: [Int64], layer: Int?, isExpert: Bool) {
            self.name = name
            self.shape = shape
            self.layer = layer
            self.isExpert = isExpert
            role = Role(name: name)
            isWeight = name.hasSuffix("weight")
        }

        /// For names built here, whose role is known without searching the name.
        init(name: String, role: Role, shape: [Int64], layer: Int?, isExpert: Bool) {
            self.name = name
            self.shape = shape
            self.layer = layer
            self.isExpert = isExpert
            self.role = role
            isWeight = name.hasSuffix("weight")
        }

        /// The tensor kinds llama.cpp's quantizer treats differently, matched as it matches them
        /// (`name.find("ffn_down")` covers routed and shared experts).
        public enum Role: Sendable, Equatable {
            case tokenEmbedding, output, attentionQ, attentionK, attentionV, attentionOutput, ffnGate, ffnUp, ffnDown
            case router, other

            public init(name: String) {
                if name == "token_embd.weight" {
                    self = .tokenEmbedding
                } else if name == "output.weight" {
                    self = .output
                } else {
                    // Byte-wise search: Foundation's `contains` bridges through NSString on Linux
                    // and made this the hot spot of the recommendation table.
                    self =
                        name.utf8.withContiguousStorageIfAvailable(Self.classify)
                        ?? Array(name.utf8).withUnsafeBufferPointer(Self.classify)
                }
            }

            private static func classify(_ name: UnsafeBufferPointer<UInt8>) -> Role {
                func has(_ part: StaticString) -> Bool {
                    let needle = UnsafeBufferPointer(start: part.utf8Start, count: part.utf8CodeUnitCount)
                    guard needle.count <= name.count else { return false }
                    for start in 0...(name.count - needle.count)
                    where name[start] == needle[0] && name[start..<start + needle.count].elementsEqual(needle) {
                        return true
                    }
                    return false
                }
                if has("ffn_gate_inp") { return .router }
                if has("attn_v.weight") { return .attentionV }
                if has("attn_k.weight") { return .attentionK }
                if has("attn_q.weight") { return .attentionQ }
                if has("attn_output.weight") { return .attentionOutput }
                if has("ffn_down") { return .ffnDown }
                if has("ffn_gate") { return .ffnGate }
                if has("ffn_up") { return .ffnUp }
                return .other
            }
        }

        public var elements: Int64 { shape.reduce(1, *) }
        public var rowLength: Int64 { shape.first ?? 0 }

        /// What the quantization rules read of a tensor, without its name and shape array: the
        /// size estimates walk these for every tensor of every candidate quantization, and
        /// plain values copy without reference counting.
        public struct Facts: Sendable, Equatable {
            public var role: Role
            public var layer: Int?
            public var rowLength: Int64
            public var elements: Int64
            public var dimensions: Int
            public var isExpert: Bool
            public var isWeight: Bool
        }

        public var facts: Facts {
            Facts(
                role: role,
                layer: layer,
                rowLength: rowLength,
                elements: elements,
                dimensions: shape.count,
                isExpert: isExpert,
                isWeight: isWeight
            )
        }
    }

    public var tensors: [Tensor] {
        didSet {
            facts = tensors.map(\.facts)
            sums = Sums(facts)
        }
    }
    /// `tensors[i].facts`, kept in step with `tensors`.
    public private(set) var facts: [Tensor.Facts]
    /// Element counts by kind, kept in step with `tensors`: the fit engine asks for the active
    /// weights of every quantization it tries.
    private var sums: Sums

    private struct Sums: Sendable, Equatable {
        var all: Int64 = 0
        var experts: Int64 = 0
        var tokenEmbedding: Int64 = 0

        init(_ facts: [Tensor.Facts]) {
            for t in facts {
                all += t.elements
                if t.isExpert { experts += t.elements }
                if t.role == .tokenEmbedding { tokenEmbedding += t.elements }
            }
        }
    }

    public init(tensors: [Tensor]) {
        self.tensors = tensors
        facts = tensors.map(\.facts)
        sums = Sums(facts)
    }

    public init(_ m: ModelSpec) {
        var t: [Tensor] = []
        let h = Int64(m.hiddenSize)
        let v = Int64(m.vocabSize)
        // Roles are given, not searched for in the names: the recommendation table builds every
        // model's inventory (a test checks they match `Role(name:)`).
        func add(_ name: String, _ role: Tensor.Role, _ shape: [Int64], layer: Int? = nil, expert: Bool = false) {
            t.append(Tensor(name: name, role: role, shape: shape, layer: layer, isExpert: expert))
        }
        add("token_embd.weight", .tokenEmbedding, [h, v])
        for i in 0..<m.numHiddenLayers {
            let p = "blk.\(i)."
            add(p + "attn_norm.weight", .other, [h], layer: i)
            let heads = Int64(m.numAttentionHeads)
            if m.usesMLA {
                let rope = Int64(m.qkRopeHeadDim ?? 0)
                let nope = Int64(m.qkNopeHeadDim ?? 0)
                let vDim = Int64(m.vHeadDim ?? m.headDim)
                let kvRank = Int64(m.kvLoraRank ?? 0)
                if let qRank = m.qLoraRank, qRank > 0 {
                    add(p + "attn_q_a.weight", .other, [h, Int64(qRank)], layer: i)
                    add(p + "attn_q_a_norm.weight", .other, [Int64(qRank)], layer: i)
                    add(p + "attn_q_b.weight", .other, [Int64(qRank), heads * (nope + rope)], layer: i)
                } else {
                    add(p + "attn_q.weight", .attentionQ, [h, heads * (nope + rope)], layer: i)
                }
                add(p + "attn_kv_a_mqa.weight", .other, [h, kvRank + rope], layer: i)
                add(p + "attn_kv_a_norm.weight", .other, [kvRank], layer: i)
                add(p + "attn_kv_b.weight", .other, [kvRank, heads * (nope + vDim)], layer: i)
                add(p + "attn_output.weight", .attentionOutput, [heads * vDim, h], layer: i)
            } else {
                let d = Int64(m.headDim)
                let kv = Int64(m.numKeyValueHeads)
                add(p + "attn_q.weight", .attentionQ, [h, heads * d], layer: i)
                add(p + "attn_k.weight", .attentionK, [h, kv * d], layer: i)
                add(p + "attn_v.weight", .attentionV, [h, kv * d], layer: i)
                add(p + "attn_output.weight", .attentionOutput, [heads * d, h], layer: i)
                if m.architecture == "GptOssForCausalLM" {
                    // gpt-oss: an output-projection bias and one learned attention sink per head.
                    add(p + "attn_output.bias", .other, [h], layer: i)
                    add(p + "attn_sinks.weight", .other, [heads], layer: i)
                }
                if m.attentionBias ?? false {
                    add(p + "attn_q.bias", .other, [heads * d], layer: i)
                    add(p + "attn_k.bias", .other, [kv * d], layer: i)
                    add(p + "attn_v.bias", .other, [kv * d], layer: i)
                }
                if m.qkNorm ?? false {
                    add(p + "attn_q_norm.weight", .other, [d], layer: i)
                    add(p + "attn_k_norm.weight", .other, [d], layer: i)
                }
            }
            add(p + "ffn_norm.weight", .other, [h], layer: i)
            let gated = m.mlp != "plain"
            if m.isMoELayer(i) {
                let n = Int64(m.numExperts ?? 0)
                let ff = Int64(m.moeIntermediateSize ?? m.intermediateSize)
                add(p + "ffn_gate_inp.weight", .router, [h, n], layer: i)
                if gated { add(p + "ffn_gate_exps.weight", .ffnGate, [h, ff, n], layer: i, expert: true) }
                add(p + "ffn_up_exps.weight", .ffnUp, [h, ff, n], layer: i, expert: true)
                add(p + "ffn_down_exps.weight", .ffnDown, [ff, h, n], layer: i, expert: true)
                if m.architecture == "GptOssForCausalLM" {
                    add(p + "ffn_gate_inp.bias", .router, [n], layer: i)
                    add(p + "ffn_gate_exps.bias", .ffnGate, [ff, n], layer: i, expert: true)
                    add(p + "ffn_up_exps.bias", .ffnUp, [ff, n], layer: i, expert: true)
                    add(p + "ffn_down_exps.bias", .ffnDown, [h, n], layer: i, expert: true)
                }
                let shared = Int64(m.numSharedExperts ?? 0)
                if shared > 0 {
                    let sff =
                        Int64(m.sharedExpertIntermediateSize ?? m.moeIntermediateSize ?? m.intermediateSize) * shared
                    if gated { add(p + "ffn_gate_shexp.weight", .ffnGate, [h, sff], layer: i) }
                    add(p + "ffn_up_shexp.weight", .ffnUp, [h, sff], layer: i)
                    add(p + "ffn_down_shexp.weight", .ffnDown, [sff, h], layer: i)
                }
            } else {
                let ff = Int64(m.denseFFNWidth)
                if gated { add(p + "ffn_gate.weight", .ffnGate, [h, ff], layer: i) }
                add(p + "ffn_up.weight", .ffnUp, [h, ff], layer: i)
                add(p + "ffn_down.weight", .ffnDown, [ff, h], layer: i)
            }
        }
        add("output_norm.weight", .other, [h])
        if !m.tieWordEmbeddings { add("output.weight", .output, [h, v]) }
        tensors = t
        facts = t.map(\.facts)
        sums = Sums(facts)
    }

    /// Weights of the whole model.
    public var totalParameters: Int64 { sums.all }

    /// Routed-expert weights a token multiplies: `k` of the `n` experts (0 for a dense model).
    /// Expert tensors stack whole experts, so their sum divides by n as each one does.
    public func activeExpertParameters(_ m: ModelSpec) -> Int64 {
        let n = Int64(max(1, m.numExperts ?? 1))
        return sums.experts / n * Int64(m.numExpertsPerTok ?? Int(n))
    }

    /// Weights one token uses: every tensor, but only `k` of `n` routed experts, and not the input
    /// embedding table (a token reads one row of it) unless it doubles as the output head.
    /// This is what model cards call "active" (gpt-oss-20b: 3.61B).
    public func activeParameters(_ m: ModelSpec) -> Int64 {
        let embedding = m.tieWordEmbeddings ? 0 : sums.tokenEmbedding
        return sums.all - embedding - sums.experts + activeExpertParameters(m)
    }
}
