/// The shape of a model canrun writes as a GGUF with random weights, to time llama.cpp on this
/// machine (`canrun calibrate`, tests): llama.cpp's `llama` architecture (Llama 2/3, and with
/// experts Mixtral), which every llama.cpp build loads. Speed depends on tensor shapes and types,
/// not values, so a 1B-shaped file with random weights decodes as fast as a trained one.
///
/// The tensors are what `llama-model.cpp` creates for `LLM_ARCH_LLAMA`, in ggml order (row
/// length first): the token embedding, then per layer the attention norm and Q, K, V and output
/// projections, the FFN norm and gate, up and down projections (with experts: the router and the
/// stacked expert tensors), then the output norm and head. Norms are F32; every matrix is
/// `weightType`. The vocabulary is a SentencePiece one (`tokenizer.ggml.model = "llama"`):
/// `<unk>`, `<s>`, `</s>`, the 256 byte tokens and numbered pieces.
public struct SyntheticModel: Sendable, Equatable {
    public var name: String
    public var layers: Int
    public var embedding: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var vocabulary: Int
    public var contextLength: Int
    /// Experts per MoE layer and how many each token uses; 0 for a dense model.
    public var experts: Int
    public var expertsUsed: Int
    /// The ggml type of every matrix (`F16`, `Q8_0`, `Q4_0`, `Q4_K`, ...).
    public var weightType: String

    public init(
        name: String,
        layers: Int,
        embedding: Int,
        feedForward: Int,
        heads: Int,
        kvHeads: Int,
        vocabulary: Int = 32000,
        contextLength: Int = 4096,
        experts: Int = 0,
        expertsUsed: Int = 0,
        weightType: String
    ) {
        self.name = name
        self.layers = layers
        self.embedding = embedding
        self.feedForward = feedForward
        self.heads = heads
        self.kvHeads = kvHeads
        self.vocabulary = vocabulary
        self.contextLength = contextLength
        self.experts = experts
        self.expertsUsed = expertsUsed
        self.weightType = weightType
    }

    /// Why a shape cannot be written.
    public struct ShapeError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// llama.cpp's `llama_ftype` (`GGUFModel.fileTypes`, from `llama.h`) for a file whose
    /// matrices are all of `type`: the type's own name, or for Q3_K, Q4_K and Q5_K their `_S`
    /// recipe, the one that keeps every matrix in the base type.
    static func fileType(_ type: String) -> UInt32? {
        let name = ["Q3_K", "Q4_K", "Q5_K"].contains(type) ? type + "_S" : type
        return GGUFModel.fileTypes.first { $0.value == name }.map { UInt32($0.key) }
    }

    /// The header of this model's GGUF, its types from `quants`.
    public func header(quants: QuantTable) throws -> GGUFHeader {
        guard layers >= 1, embedding >= 1, feedForward >= 1, heads >= 1, kvHeads >= 1, vocabulary >= 259,
            contextLength >= 1
        else {
            throw ShapeError(
                description:
                    "a synthetic model needs at least 1 layer, head and KV head, positive sizes and 259 tokens (the byte tokens)"
            )
        }
        guard embedding % heads == 0, heads % kvHeads == 0, (embedding / heads) % 2 == 0 else {
            throw ShapeError(
                description:
                    "embedding \(embedding) must split into \(heads) heads of even size, and heads into \(kvHeads) KV heads"
            )
        }
        guard experts == 0 ? expertsUsed == 0 : (1...experts).contains(expertsUsed) else {
            throw ShapeError(description: "experts used (\(expertsUsed)) must be 1 to the experts (\(experts))")
        }
        guard let matrix = quants.type(named: weightType), let fileType = Self.fileType(matrix.name),
            SyntheticTensorData(type: matrix, seed: 0) != nil
        else {
            throw ShapeError(
                description:
                    "canrun cannot write \(weightType) weights; it writes \(SyntheticTensorData.writableTypes.joined(separator: ", "))"
            )
        }
        guard let f32 = quants.type(named: "F32") else {
            throw ShapeError(description: "quants.toml has no F32 type")
        }
        let e = Int64(embedding)
        let f = Int64(feedForward)
        let kv = e / Int64(heads) * Int64(kvHeads)
        var tensors = [GGUFHeader.Tensor(name: "token_embd.weight", shape: [e, Int64(vocabulary)], type: matrix)]
        for i in 0..<layers {
            let p = "blk.\(i)."
            tensors += [
                .init(name: p + "attn_norm.weight", shape: [e], type: f32),
                .init(name: p + "attn_q.weight", shape: [e, e], type: matrix),
                .init(name: p + "attn_k.weight", shape: [e, kv], type: matrix),
                .init(name: p + "attn_v.weight", shape: [e, kv], type: matrix),
                .init(name: p + "attn_output.weight", shape: [e, e], type: matrix),
                .init(name: p + "ffn_norm.weight", shape: [e], type: f32),
            ]
            if experts > 0 {
                let n = Int64(experts)
                tensors += [
                    .init(name: p + "ffn_gate_inp.weight", shape: [e, n], type: f32),
                    .init(name: p + "ffn_gate_exps.weight", shape: [e, f, n], type: matrix),
                    .init(name: p + "ffn_down_exps.weight", shape: [f, e, n], type: matrix),
                    .init(name: p + "ffn_up_exps.weight", shape: [e, f, n], type: matrix),
                ]
            } else {
                tensors += [
                    .init(name: p + "ffn_gate.weight", shape: [e, f], type: matrix),
                    .init(name: p + "ffn_down.weight", shape: [f, e], type: matrix),
                    .init(name: p + "ffn_up.weight", shape: [e, f], type: matrix),
                ]
            }
        }
        tensors += [
            .init(name: "output_norm.weight", shape: [e], type: f32),
            .init(name: "output.weight", shape: [e, Int64(vocabulary)], type: matrix),
        ]
        var metadata: [(key: String, value: GGUFHeader.Value)] = [
            ("general.architecture", .string("llama")),
            ("general.name", .string(name)),
            ("general.file_type", .uint32(fileType)),
            ("llama.context_length", .uint32(UInt32(contextLength))),
            ("llama.embedding_length", .uint32(UInt32(embedding))),
            ("llama.block_count", .uint32(UInt32(layers))),
            ("llama.feed_forward_length", .uint32(UInt32(feedForward))),
            ("llama.rope.dimension_count", .uint32(UInt32(embedding / heads))),
            ("llama.attention.head_count", .uint32(UInt32(heads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("llama.rope.freq_base", .float32(500_000)),
            ("llama.vocab_size", .uint32(UInt32(vocabulary))),
        ]
        if experts > 0 {
            metadata += [
                ("llama.expert_count", .uint32(UInt32(experts))),
                ("llama.expert_used_count", .uint32(UInt32(expertsUsed))),
            ]
        }
        let pieces = vocabulary - 259
        metadata += [
            ("tokenizer.ggml.model", .string("llama")),
            (
                "tokenizer.ggml.tokens",
                .strings(
                    ["<unk>", "<s>", "</s>"]
                        + (0..<256).map { "<0x\(String($0, radix: 16, uppercase: true).leftPadded)>" }
                        + (0..<pieces).map { "▁t\($0)" }
                )
            ),
            (
                "tokenizer.ggml.scores",
                .float32s([0, 0, 0] + Array(repeating: 0, count: 256) + (0..<pieces).map { -Float($0) })
            ),
            // llama_token_type: 2 unknown, 3 control, 6 byte, 1 normal.
            (
                "tokenizer.ggml.token_type",
                .int32s([2, 3, 3] + Array(repeating: 6, count: 256) + Array(repeating: 1, count: pieces))
            ),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        return GGUFHeader(metadata: metadata, tensors: tensors)
    }
}

extension String {
    /// Two hex digits: `A` → `0A`.
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
