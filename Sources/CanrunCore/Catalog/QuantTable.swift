import Foundation

/// The quantization formats of `config/quants.toml`: ggml tensor types with their exact block
/// layout, the file types llama-quantize writes, other weight formats, and KV cache types.
public struct QuantTable: Sendable, Equatable {
    /// A ggml tensor type: `blockSize` weights in `bytesPerBlock` bytes.
    public struct GGMLType: Sendable, Equatable, Hashable, Decodable {
        public var name: String
        /// The type's number in GGUF files (enum ggml_type).
        public var id: Int
        public var blockSize: Int
        public var bytesPerBlock: Int

        enum CodingKeys: String, CodingKey {
            case name, id
            case blockSize = "block_size"
            case bytesPerBlock = "bytes_per_block"
        }

        public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

        /// Bytes of a row of `elements` weights; `nil` when the row is not whole blocks.
        public func rowBytes(_ elements: Int64) -> Int64? {
            guard elements % Int64(blockSize) == 0 else { return nil }
            return elements / Int64(blockSize) * Int64(bytesPerBlock)
        }
    }

    /// A llama-quantize file type (`Q4_K_M`): most tensors get `base`.
    public struct NamedQuant: Sendable, Equatable, Decodable {
        public var name: String
        public var base: String
        /// MoE expert tensors' type when it differs (MXFP4_MOE).
        public var expertType: String?
        /// A publisher variant of this llama-quantize recipe (`Q4_K_L` is `Q4_K_M` ...).
        public var like: String?
        /// ... with the token embedding and output head in this type.
        public var embedOutputType: String?
        /// Other names the same files go by (`MXFP4` for `MXFP4_MOE`, as gpt-oss's files and
        /// llama-bench's "MXFP4 MoE" call it); a lookup by one answers this quant.
        public var aliases: [String]?
        /// Mean KL divergence of the type's next-token distribution from F16's on Llama 3 8B
        /// (quants.toml's header gives the source); nil where none was published.
        public var kld: Double?

        enum CodingKeys: String, CodingKey {
            case name, base, like, aliases, kld
            case expertType = "expert_type"
            case embedOutputType = "embed_output_type"
        }
    }

    /// A checkpoint format of other runtimes (GPTQ, AWQ, FP8, NVFP4, MLX): sized for `canrun
    /// models show`, answered only where it is the model's own (`ggufAs`).
    public struct Format: Sendable, Equatable, Decodable {
        public var name: String
        public var bitsPerWeight: Double
        public var source: String?
        /// The GGUF type llama.cpp's converter and llama-quantize make of a checkpoint shipped in
        /// this format, at its own precision: a model that ships in it is answered as that.
        public var ggufAs: String?
        /// The runtimes that load the format, for the answer that refuses it.
        public var runtimes: String?

        enum CodingKeys: String, CodingKey {
            case name
            case bitsPerWeight = "bits_per_weight"
            case source
            case ggufAs = "gguf_as"
            case runtimes
        }
    }

    public struct KVCacheType: Sendable, Equatable, Decodable {
        public var name: String
        public var bitsPerElement: Double

        enum CodingKeys: String, CodingKey {
            case name
            case bitsPerElement = "bits_per_element"
        }
    }

    public var types: [GGMLType] {
        didSet { reindex() }
    }
    public var namedQuants: [NamedQuant] {
        didSet { reindex() }
    }
    /// Lookups by upper-cased name and by GGUF id: every tensor of every fit asks.
    private var byName: [String: GGMLType] = [:]
    private var byID: [Int: GGMLType] = [:]
    private var namedByName: [String: NamedQuant] = [:]
    public var formats: [Format]
    public var kvCacheTypes: [KVCacheType] {
        didSet { reindex() }
    }
    private var kvByName: [String: KVCacheType] = [:]

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let reason): "config/quants.toml is invalid: \(reason)"
            }
        }
    }

    public init(toml: String) throws {
        struct File: Decodable {
            var ggml_type: [GGMLType]
            var named_quant: [NamedQuant]
            var format: [Format]?
            var kv_cache_type: [KVCacheType]
        }
        let file: File
        do {
            file = try TOMLDocument.decode(File.self, from: toml)
        } catch {
            throw LoadError.invalid(String(describing: error))
        }
        types = file.ggml_type
        namedQuants = file.named_quant
        formats = file.format ?? []
        kvCacheTypes = file.kv_cache_type
        reindex()
        for quant in namedQuants where type(named: quant.base) == nil {
            throw LoadError.invalid("named quant \(quant.name) has unknown base type \(quant.base)")
        }
        if let bad = types.first(where: { $0.blockSize < 1 || $0.bytesPerBlock < 1 }) {
            throw LoadError.invalid("type \(bad.name) has an empty block")
        }
        if let bad = namedQuants.first(where: { ($0.kld ?? 0) < 0 || !($0.kld ?? 0).isFinite }) {
            throw LoadError.invalid("named quant \(bad.name) has kld \(bad.kld ?? 0): a KL divergence is 0 or more")
        }
    }

    /// How much `quant` (a named quant or alias, case-insensitive) costs a model's output
    /// (`QuantQuality`): its own divergence, else that of the recipe it varies (`like`); float
    /// types lose nothing. Nil for types without a published figure (TQ, MXFP4, other formats).
    public func quality(of quant: String) -> QuantQuality? {
        guard let named = namedQuant(quant) else { return nil }
        if ["F32", "F16", "BF16"].contains(named.base) { return QuantQuality(kld: 0) }
        if let kld = named.kld { return QuantQuality(kld: kld) }
        if let like = named.like, let kld = namedQuant(like)?.kld { return QuantQuality(kld: kld) }
        return nil
    }

    /// `quality(of:)` for `model`: a quantization that keeps the model's routed experts in the
    /// format they ship in (gpt-oss's MXFP4 in `MXFP4_MOE`) loses only what its other tensors'
    /// type loses.
    public func quality(of quant: String, model: ModelSpec) -> QuantQuality? {
        if let named = namedQuant(quant), let experts = named.expertType,
            experts.uppercased() == model.nativeFormat?.uppercased()
        {
            return quality(of: named.base).map {
                QuantQuality(
                    kld: $0.kld,
                    note: "\(named.base)'s, the type of its other tensors; the experts are \(experts) as shipped"
                )
            }
        }
        return quality(of: quant)
    }

    private mutating func reindex() {
        byName = Dictionary(types.map { ($0.name.uppercased(), $0) }, uniquingKeysWith: { first, _ in first })
        byID = Dictionary(types.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        kvByName = Dictionary(kvCacheTypes.map { ($0.name.uppercased(), $0) }, uniquingKeysWith: { first, _ in first })
        // A quant's own name wins over another's alias.
        let aliases = namedQuants.flatMap { quant in (quant.aliases ?? []).map { ($0.uppercased(), quant) } }
        namedByName = Dictionary(
            aliases + namedQuants.map { ($0.name.uppercased(), $0) },
            uniquingKeysWith: { _, own in own }
        )
    }

    public func type(named name: String) -> GGMLType? { byName[name] ?? byName[name.uppercased()] }

    public func type(id: Int) -> GGMLType? { byID[id] }

    /// The other-runtime format called `name` (case-insensitive).
    public func format(named name: String) -> Format? {
        formats.first { $0.name.uppercased() == name.uppercased() }
    }

    public func namedQuant(_ name: String) -> NamedQuant? {
        namedByName[name] ?? namedByName[name.uppercased()]
    }

    public func kvCacheType(_ name: String) -> KVCacheType? {
        kvByName[name.uppercased()]
    }
}
