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
    public init(parts: [GGUFFile], id: String) throws {
        guard let first = parts.first else { throw GGUFError.inconsistent("no GGUF file given") }
        let meta = first.metadata
        if let count = meta["split.count"]?.intValue, count != parts.count {
            throw GGUFError.inconsistent("the model is split in \(count) files but \(parts.count) were found")
        }
        guard let arch = meta["general.architecture"]?.stringValue, !arch.isEmpty else {
            throw GGUFError.inconsistent("general.architecture is missing: not a model file")
        }
        func int(_ key: String) -> Int? {
            let value = meta[arch + "." + key]
            // Some architectures give per-layer arrays (head counts, FFN widths): the widest.
            return value?.intValue ?? value?.arrayValue?.compactMap(\.intValue).max()
        }
        let tensors = parts.flatMap(\.tensors)
        func tensor(_ name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }
        guard let layers = int("block_count"), layers > 0, let hidden = int("embedding_length"), hidden > 0,
            let heads = int("attention.head_count"), heads > 0
        else {
            throw GGUFError.inconsistent("\(arch).block_count, embedding_length or attention.head_count is missing")
        }
        let vocab =
            meta["tokenizer.ggml.tokens"]?.arrayValue?.count ?? int("vocab_size")
            ?? tensor("token_embd.weight").map { Int($0.shape.last ?? 0) } ?? 0
        let ffn =
            int("feed_forward_length") ?? tensor("blk.0.ffn_up.weight").map { Int($0.shape[1]) }
            ?? int("expert_feed_forward_length") ?? 0
        var spec = ModelSpec(
            id: id,
            name: meta["general.name"]?.stringValue ?? id,
            family: arch,
            numHiddenLayers: layers,
            hiddenSize: hidden,
            intermediateSize: ffn,
            numAttentionHeads: heads,
            numKeyValueHeads: int("attention.head_count_kv") ?? heads,
            headDim: int("attention.key_length") ?? hidden / heads,
            vocabSize: vocab,
            tieWordEmbeddings: tensor("output.weight") == nil,
            maxPositionEmbeddings: int("context_length") ?? 0
        )
        spec.architecture = arch
        spec.numExperts = int("expert_count")
        spec.numExpertsPerTok = int("expert_used_count")
        spec.moeIntermediateSize = int("expert_feed_forward_length")
        spec.numSharedExperts = int("expert_shared_count")
        spec.firstKDenseReplace = int("leading_dense_block_count")
        spec.kvLoraRank = int("attention.kv_lora_rank")
        spec.qLoraRank = int("attention.q_lora_rank")
        if spec.usesMLA {
            spec.qkRopeHeadDim = int("rope.dimension_count")
            spec.vHeadDim = int("attention.value_length")
            spec.qkNopeHeadDim = spec.qkRopeHeadDim.map { spec.headDim - $0 }
        }
        spec.slidingWindow = int("attention.sliding_window")
        spec.qkNorm = tensor("blk.0.attn_q_norm.weight") != nil
        spec.attentionBias = tensor("blk.0.attn_q.bias") != nil
        spec.sources = ["GGUF metadata and tensor table"]
        self.spec = spec
        weightsBytes = tensors.reduce(0) { $0 + $1.bytes }
        expertBytes = tensors.filter { $0.name.contains("_exps") }.reduce(0) { $0 + $1.bytes }
        fileType = meta["general.file_type"]?.intValue.flatMap { GGUFModel.fileTypes[$0] }
        tensorCount = tensors.count
        parameters = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        bytesByType = tensors.reduce(into: [:]) { $0[$1.typeName, default: 0] += $1.bytes }
        multipliedBytesByType = tensors.filter { $0.name != "token_embd.weight" }.reduce(into: [:]) {
            $0[$1.typeName.uppercased(), default: 0] += $1.bytes
        }
        embeddingBytes = tensor("output.weight") == nil ? 0 : tensor("token_embd.weight")?.bytes ?? 0
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
