/// Which ggml type each tensor gets in a llama-quantize file type, following llama.cpp's
/// `llama_tensor_get_type()` (src/llama-quant.cpp): the output head gets Q6_K (Q5_K for the
/// 1–2-bit i-quants), `_M` recipes give attn_v and ffn_down Q6_K in the layers
/// `use_more_bits` picks, Mixtral-style 8-expert models keep attn_k/attn_v in Q8_0, and
/// rows that are not whole blocks fall back to the nearest legacy type.
///
/// 1-D tensors (norms, biases) and MoE routers (`ffn_gate_inp`) stay F32, as llama-quantize
/// leaves them.
public struct QuantRecipe: Sendable {
    /// The name asked for (`Q4_K_L`).
    public let quant: String
    /// The llama-quantize recipe whose rules apply (`Q4_K_M` for `Q4_K_L`).
    let rules: String
    public let base: String
    let expertType: String?
    let embedOutputType: String?
    /// Whether an importance matrix guided the quantization: llama-quantize picks some types
    /// differently with one (IQ3_XXS attn_v and ffn_down, IQ4 ffn_down, Q4_0/Q5_0 first
    /// layers). Defaults to true for i-quants (the 1–2-bit ones require one), false otherwise.
    let imatrix: Bool
    let model: ModelSpec
    let table: QuantTable
    // Derived once: `typeName(for:)` runs for every tensor of every candidate quantization.
    private let isLowBitIQ: Bool
    /// Types written straight by the converter (F32/F16/BF16/Q8_0 files) apply to every matrix.
    private let isUniform: Bool
    private let ffnDownCount: Int

    /// - Parameter embedOutputType: overrides the token embedding and output head type, as
    ///   `llama-quantize --token-embedding-type/--output-tensor-type` do.
    public init?(
        quant: String,
        model: ModelSpec,
        table: QuantTable,
        embedOutputType: String? = nil,
        imatrix: Bool? = nil
    ) {
        guard let named = table.namedQuant(quant) else { return nil }
        self.quant = named.name.uppercased()
        rules = (named.like ?? named.name).uppercased()
        base = named.base
        // Checkpoints whose experts ship in MXFP4 (gpt-oss) keep them so in every file: the
        // converter writes them as they are, llama-quantize refuses to requantize a quantized
        // tensor unless told to (`--allow-requantize`), and the published variants are sized so
        // (unsloth's gpt-oss-20b: "2-bit 11.5 GB vs 14 GB for 16-bit"; F16 12.83 GiB, ggml-org's
        // MXFP4 MoE 11.27 GiB). Only the other tensors follow the recipe.
        let nativeExperts = model.architecture == "GptOssForCausalLM"
        expertType = named.expertType ?? (nativeExperts ? "MXFP4" : nil)
        self.embedOutputType = embedOutputType ?? named.embedOutputType
        self.imatrix = imatrix ?? rules.hasPrefix("IQ")
        self.model = model
        self.table = table
        isLowBitIQ = ["IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"].contains(rules)
        isUniform = ["F32", "F16", "BF16", "Q8_0"].contains(rules)
        ffnDownCount = Self.ffnDownCount(model)
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one
    /// between them.
    static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    private var gqa: Int { model.numAttentionHeads / max(1, model.numKeyValueHeads) }
    /// llama.cpp passes the number of `ffn_down*` tensors as the layer count of an MoE model's
    /// ffn_down rules (`layer_info(qs.i_ffn_down, qs.n_ffn_down, name)`), while the layer index
    /// is the block number: routed, shared and dense ffn_down tensors all count.
    private static func ffnDownCount(_ model: ModelSpec) -> Int {
        guard model.isMoE else { return model.numHiddenLayers }
        let moeLayers = (0..<model.numHiddenLayers).filter(model.isMoELayer).count
        let perMoELayer = (model.numSharedExperts ?? 0) > 0 ? 2 : 1
        return model.numHiddenLayers - moeLayers + moeLayers * perMoELayer
    }
    private var experts: Int { model.numExperts ?? 0 }
    /// llama.cpp's LLM_TYPE_70B (Llama 2/3 70B: 80 layers) gets more bits in attn_v.
    private var is70B: Bool { model.numHiddenLayers == 80 && (model.architecture ?? "").hasPrefix("Llama") }

    /// The type name for `tensor`.
    public func typeName(for tensor: TensorInventory.Tensor) -> String {
        type(for: tensor)?.name.uppercased() ?? chosenName(tensor.facts)
    }

    /// The ggml type for `tensor`; nil when the recipe names a type the table lacks.
    public func type(for tensor: TensorInventory.Tensor) -> QuantTable.GGMLType? {
        resolve(chosenName(tensor.facts), rowLength: tensor.rowLength)
    }

    /// The type `name` becomes for rows of `rowLength` elements.
    func resolve(_ name: String, rowLength: Int64) -> QuantTable.GGMLType? {
        guard let type = table.type(named: name) else { return nil }
        // The common case, rows of whole blocks, needs no second lookup.
        if rowLength % Int64(type.blockSize) == 0 { return type }
        return table.type(named: fittingBlocks(name, rowLength: rowLength))
    }

    /// The type the rules pick, before rows that are not whole blocks fall back.
    func chosenName(_ tensor: TensorInventory.Tensor.Facts) -> String {
        if tensor.dimensions < 2 || tensor.role == .router || !tensor.isWeight { return "F32" }
        if tensor.isExpert, let expertType { return expertType }
        if let embedOutputType, tensor.role == .tokenEmbedding || tensor.role == .output { return embedOutputType }
        return isUniform ? base : rule(tensor)
    }

    private func rule(_ t: TensorInventory.Tensor.Facts) -> String {
        let quant = rules
        let layers = model.numHiddenLayers
        let layer = t.layer ?? 0
        let isOutput = t.role == .output || (model.tieWordEmbeddings && t.role == .tokenEmbedding)
        if isOutput {
            if quant == "MXFP4_MOE" { return "Q8_0" }
            if let blocks = table.type(named: base)?.blockSize, t.rowLength % Int64(blocks) != 0 { return "Q8_0" }
            if isLowBitIQ || quant == "IQ3_XXS" { return "Q5_K" }
            return base == "Q8_0" ? "Q8_0" : "Q6_K"
        }
        if quant == "MXFP4_MOE" { return t.isExpert ? "MXFP4" : "Q8_0" }
        if t.role == .tokenEmbedding {
            switch quant {
            case "IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M": return "Q2_K"
            case "IQ2_S", "IQ2_M", "IQ3_XXS": return "IQ3_S"
            case "TQ1_0", "TQ2_0": return "Q4_K"
            default: return base
            }
        }
        if isLowBitIQ { return lowBitRule(t.role, quant: quant, layer: layer, layers: layers) }
        if t.role == .attentionV { return attentionVRule(quant: quant, layer: layer, layers: layers) }
        if t.role == .attentionK {
            if experts == 8 { return "Q8_0" }
            if quant == "IQ3_XS" { return "IQ3_XXS" }
            if quant == "IQ3_XXS" { return "IQ2_S" }
            return base
        }
        if t.role == .attentionQ {
            if quant == "IQ3_XS" { return "IQ3_XXS" }
            if quant == "IQ3_XXS" { return "IQ2_S" }
            return base
        }
        if t.role == .ffnDown { return ffnDownRule(quant: quant, layer: layer, layers: ffnDownCount) }
        if t.role == .attentionOutput {
            if experts == 8 {
                let bumped: Set = [
                    "Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M",
                    "IQ4_XS",
                ]
                return bumped.contains(quant) ? "Q5_K" : base
            }
            switch quant {
            case "Q2_K": return "Q3_K"
            case "IQ3_XXS": return "IQ3_S"
            case "Q3_K_M", "IQ3_M": return "Q4_K"
            case "Q3_K_L": return "Q5_K"
            default: return base
            }
        }
        if quant == "IQ3_XS" && (t.role == .ffnGate || t.role == .ffnUp) && layer >= layers / 8
            && layer < 7 * layers / 8
        {
            return "IQ3_XXS"
        }
        return base
    }

    /// The 1–2-bit i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ1_S, IQ1_M).
    private func lowBitRule(_ role: TensorInventory.Tensor.Role, quant: String, layer: Int, layers: Int) -> String {
        let wide = quant == "IQ2_S" || quant == "IQ2_M"
        if role == .attentionV {
            if gqa >= 4 || experts >= 4 { return "Q4_K" }
            return wide ? "IQ3_S" : "Q2_K"
        }
        if experts == 8 && role == .attentionK { return "Q4_K" }
        if role == .ffnDown { return layer < layers / 8 ? (wide ? "IQ3_S" : "Q2_K") : base }
        if role == .attentionOutput {
            if experts == 8 { return "Q5_K" }
            if quant == "IQ1_S" || quant == "IQ1_M" { return "IQ2_XXS" }
            if wide { return "IQ3_S" }
        }
        return base
    }

    private func attentionVRule(quant: String, layer: Int, layers: Int) -> String {
        var type = base
        switch quant {
        case "Q2_K": type = gqa >= 4 ? "Q4_K" : "Q3_K"
        case "Q2_K_S": if gqa >= 4 { type = "Q4_K" }
        case "IQ3_XXS": type = gqa >= 4 ? "Q4_K" : imatrix ? "IQ3_XXS" : "IQ3_S"
        case "IQ3_XS", "IQ3_S": if gqa >= 4 { type = "Q4_K" }
        case "IQ3_M": type = "Q4_K"
        case "Q3_K_M": type = layer < 2 ? "Q5_K" : "Q4_K"
        case "Q3_K_L": type = "Q5_K"
        case "IQ4_NL", "IQ4_XS": if gqa >= 4 { type = "Q5_K" }
        case "Q4_K_M", "Q5_K_M": if QuantRecipe.useMoreBits(layer, layers) { type = "Q6_K" }
        case "Q4_K_S": if layer < 4 { type = "Q5_K" }
        default: break
        }
        if is70B && (type == "Q3_K" || type == "Q4_K") { type = "Q5_K" }
        if experts == 8 { type = "Q8_0" }
        return type
    }

    private func ffnDownRule(quant: String, layer: Int, layers: Int) -> String {
        let early = layer < layers / 8
        switch quant {
        case "Q2_K": return "Q3_K"
        case "Q2_K_S": return early ? "Q4_K" : base
        case "IQ3_XXS" where !imatrix: return early ? "Q4_K" : "Q3_K"
        // Falcon alone keeps Q3_K in the layers use_more_bits skips.
        case "Q3_K_M": return layer < layers / 16 ? "Q5_K" : "Q4_K"
        case "IQ3_M": return early || (experts == 8 && QuantRecipe.useMoreBits(layer, layers)) ? "Q4_K" : base
        case "Q3_K_L": return "Q5_K"
        case "Q4_K_M", "Q5_K_M": return QuantRecipe.useMoreBits(layer, layers) ? "Q6_K" : base
        case "IQ4_NL", "IQ4_XS": return early && !imatrix ? "Q5_K" : base
        case "Q4_K_S": return early ? "Q5_K" : base
        case "Q4_0" where imatrix: return early ? "Q4_1" : base
        case "Q5_0" where imatrix: return early ? "Q5_1" : base
        default: return base
        }
    }

    /// K-quants and i-quants need rows of whole 256-blocks; llama.cpp falls back otherwise.
    private func fittingBlocks(_ name: String, rowLength: Int64) -> String {
        guard let type = table.type(named: name), rowLength % Int64(type.blockSize) != 0 else { return name }
        let fallback: String =
            switch name {
            case "TQ1_0", "TQ2_0": "Q4_0"
            case "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "Q2_K", "Q3_K", "IQ4_XS": "IQ4_NL"
            case "Q4_K": "Q5_0"
            case "Q5_K": "Q5_1"
            case "Q6_K": "Q8_0"
            default: "F16"
            }
        if let f = table.type(named: fallback), rowLength % Int64(f.blockSize) == 0 { return fallback }
        return "F16"
    }
}

/// Bytes of a model's weights in one quantization, from the tensor shapes and the recipe.
public struct WeightsEstimate: Sendable, Equatable {
    public var quant: String
    public var bytes: Int64
    /// Bytes per ggml type, for "which tensors got what".
    public var bytesByType: [String: Int64]
    /// Routed-expert bytes (what `--n-cpu-moe` moves to the CPU).
    public var expertBytes: Int64
    /// The token embedding table (a token reads one row of it; 0 when tied to the output head).
    public var embeddingBytes: Int64 = 0
    /// Bytes per ggml type (upper-case name) of the tensors llama.cpp multiplies: all but the
    /// token embedding table, which it only gathers rows from. What its CPU backend may repack.
    public var multipliedBytesByType: [String: Int64] = [:]
    /// The type holding most of the routed experts' bytes (upper-case name; their biases stay
    /// F32); nil for a dense model.
    public var expertTypeName: String? = nil

    /// Routed-expert bytes one token reads: `k` of the `n` experts.
    public func expertActiveBytes(_ model: ModelSpec) -> Int64 {
        let n = Int64(max(1, model.numExperts ?? 1))
        return expertBytes / n * Int64(model.numExpertsPerTok ?? Int(n))
    }

    /// Weight bytes one decoded token reads: everything but the token embedding table (a token
    /// looks up one row of it) and the experts the router does not pick.
    public func activeBytes(_ model: ModelSpec) -> Int64 {
        bytes - embeddingBytes - expertBytes + expertActiveBytes(model)
    }

    /// Weights known exactly (a GGUF file's tensor table).
    public init(
        quant: String,
        bytes: Int64,
        bytesByType: [String: Int64],
        expertBytes: Int64,
        embeddingBytes: Int64,
        multipliedBytesByType: [String: Int64] = [:]
    ) {
        self.quant = quant
        self.bytes = bytes
        self.bytesByType = bytesByType
        self.expertBytes = expertBytes
        self.embeddingBytes = embeddingBytes
        self.multipliedBytesByType = multipliedBytesByType
    }

    public init?(
        model: ModelSpec,
        quant: String,
        table: QuantTable,
        inventory: TensorInventory? = nil,
        embedOutputType: String? = nil,
        imatrix: Bool? = nil
    ) {
        guard
            let recipe = QuantRecipe(
                quant: quant,
                model: model,
                table: table,
                embedOutputType: embedOutputType,
                imatrix: imatrix
            )
        else { return nil }
        let tensors = (inventory ?? TensorInventory(model)).facts
        var total: Int64 = 0
        // A file uses a handful of types and row lengths, so short lists searched linearly stand
        // in for dictionaries: hashing a type name per tensor dominated the recommendation table.
        var resolved: [(name: String, rowLength: Int64, type: QuantTable.GGMLType)] = []
        var sums: [(id: Int, name: String, bytes: Int64)] = []
        var gathered: (name: String, bytes: Int64)?
        var experts: Int64 = 0
        // Expert bytes per type, searched linearly as `sums` is.
        var expertSums: [(id: Int, name: String, bytes: Int64)] = []
        for tensor in tensors {
            let chosen = recipe.chosenName(tensor)
            let rowLength = tensor.rowLength
            let type: QuantTable.GGMLType
            if let hit = resolved.first(where: { $0.rowLength == rowLength && $0.name == chosen }) {
                type = hit.type
            } else {
                guard let found = recipe.resolve(chosen, rowLength: rowLength) else { return nil }
                resolved.append((chosen, rowLength, found))
                type = found
            }
            guard let row = type.rowBytes(rowLength) else { return nil }
            let bytes = row * (tensor.elements / max(1, rowLength))
            total += bytes
            if let i = sums.firstIndex(where: { $0.id == type.id }) {
                sums[i].bytes += bytes
            } else {
                sums.append((type.id, type.name.uppercased(), bytes))
            }
            if tensor.isExpert {
                experts += bytes
                if let i = expertSums.firstIndex(where: { $0.id == type.id }) {
                    expertSums[i].bytes += bytes
                } else {
                    expertSums.append((type.id, type.name.uppercased(), bytes))
                }
            }
            if tensor.role == .tokenEmbedding {
                gathered = (type.name.uppercased(), bytes)
                if !model.tieWordEmbeddings { embeddingBytes = bytes }
            }
        }
        self.quant = recipe.quant
        bytes = total
        bytesByType = Dictionary(sums.map { ($0.name, $0.bytes) }, uniquingKeysWith: +)
        multipliedBytesByType = bytesByType
        if let gathered { multipliedBytesByType[gathered.name, default: 0] -= gathered.bytes }
        expertBytes = experts
        expertTypeName = expertSums.max { $0.bytes < $1.bytes }?.name
    }
}

extension WeightsEstimate {
    /// Bytes of a checkpoint in a non-GGUF format (GPTQ, AWQ, FP8, NVFP4, MLX, EXL2): the linear
    /// layers at the format's bits per weight, scales included; the token embedding, output head,
    /// MoE routers and norms stay 16-bit, as these tools leave them.
    public init(model: ModelSpec, format: QuantTable.Format, inventory: TensorInventory? = nil) {
        var total = 0.0
        var experts = 0.0
        for tensor in (inventory ?? TensorInventory(model)).tensors {
            let keptWide =
                tensor.shape.count < 2 || tensor.name.hasPrefix("token_embd") || tensor.name.hasPrefix("output.")
                || tensor.name.contains("ffn_gate_inp")
            let bytes = Double(tensor.elements) * (keptWide ? 16 : format.bitsPerWeight) / 8
            total += bytes
            if tensor.isExpert { experts += bytes }
        }
        quant = format.name
        bytes = Int64(total.rounded())
        bytesByType = [format.name: bytes]
        expertBytes = Int64(experts.rounded())
    }
}
