/// A catalog entry as `canrun models --json` and `GET /v1/models` list it; `weightsBytes` and
/// `kvBytesPerToken` are filled for `canrun models show` (every named quant that applies, and
/// the KV cache per token at full-attention depth per cache type). Formats of other runtimes
/// (GPTQ, AWQ, EXL2, MLX, FP8) are listed only where the model ships in one, as canrun answers it
/// then (`nativeFormat`).
public struct ModelSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var family: String
    /// Computed from the shapes (canrun's tensor inventory), not copied from a model card.
    public var paramsTotal: Int64
    public var paramsActive: Int64
    public var layers: Int
    public var contextMax: Int
    public var hfRepo: String?
    /// The format the checkpoint ships in (`ModelSpec.nativeFormat`), and the GGUF type canrun
    /// answers it as when llama.cpp has no type of that name.
    public var nativeFormat: String?
    public var nativeFormatAnsweredAs: String?
    public var weightsBytes: [String: Int64]?
    public var kvBytesPerToken: [String: Int64]?

    public init(_ m: ModelSpec, detailed: Bool = false, table: QuantTable? = nil) {
        let inventory = TensorInventory(m)
        id = m.id
        name = m.name
        family = m.family
        paramsTotal = inventory.totalParameters
        paramsActive = inventory.activeParameters(m)
        layers = m.numHiddenLayers
        contextMax = m.maxPositionEmbeddings
        hfRepo = m.hfRepo
        nativeFormat = m.nativeFormat
        guard detailed, let table else { return }
        var weights: [String: Int64] = [:]
        for quant in table.namedQuants where quant.expertType == nil || m.isMoE {
            if let estimate = WeightsEstimate(model: m, quant: quant.name, table: table, inventory: inventory) {
                weights[estimate.quant] = estimate.bytes
            }
        }
        if let native = m.nativeFormat, let format = table.format(named: native) {
            weights[format.name] = WeightsEstimate(model: m, format: format, inventory: inventory).bytes
            nativeFormatAnsweredAs = format.ggufAs
        } else if let native = m.nativeFormat, let named = table.namedQuant(native), named.name != native {
            nativeFormatAnsweredAs = named.name
        }
        weightsBytes = weights
        var kv: [String: Int64] = [:]
        for type in table.kvCacheTypes {
            if let bytes = KVCacheSize.bytesPerToken(m, cacheType: type.name, table: table) { kv[type.name] = bytes }
        }
        kvBytesPerToken = kv
    }
}

extension ModelSummary {
    /// A model file's summary: the weights are the file's exact tensor bytes under its file type.
    public init(_ model: GGUFModel, table: QuantTable) {
        self.init(model.spec, detailed: false)
        paramsTotal = model.parameters
        weightsBytes = [model.fileType ?? "file": model.weightsBytes]
        var kv: [String: Int64] = [:]
        for type in table.kvCacheTypes {
            if let bytes = KVCacheSize.bytesPerToken(model.spec, cacheType: type.name, table: table) {
                kv[type.name] = bytes
            }
        }
        kvBytesPerToken = kv
    }
}
