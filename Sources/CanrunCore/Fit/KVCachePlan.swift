/// The KV cache a runtime allocates for a model and context, per its real allocation rules.
///
/// llama.cpp (the default engine):
/// - cells are the context padded up to a multiple of 256;
/// - full-attention layers hold every cell; sliding-window and chunked layers (Gemma 2/3,
///   gpt-oss, Llama 4) get their own cache of `window × sequences + ubatch` cells, padded to
///   256 and never more than the full cache (`--swa-full` gives them the full cache);
/// - per layer and cell, K holds `n_kv_heads × head_dim` elements and V the same, in the cache
///   types' block layouts (q8_0: 34 bytes per 32);
/// - MLA (DeepSeek, Kimi) keeps the compressed latent: K = `kv_lora_rank + qk_rope_head_dim`
///   (576) per cell; current mainline and ik_llama.cpp `-mla` store no V (it is a view of K);
///   mainline of early 2025 also stored a 512-wide V; without MLA the cache is full multi-head
///   K (`heads × (nope + rope)`) and V (`heads × v_head_dim`).
public struct KVCachePlan: Sendable, Equatable {
    public enum MLAStorage: String, Sendable, Equatable, Codable {
        /// K = latent + RoPE part, no V (current llama.cpp, ik_llama.cpp `-mla`).
        case latent
        /// K = latent + RoPE part, V = latent (llama.cpp mainline, early 2025).
        case latentAndV
        /// Full multi-head K and V (MLA not used).
        case expanded
    }

    public struct Options: Sendable, Equatable {
        public var context: Int
        public var parallel: Int
        public var ubatch: Int
        public var typeK: String
        public var typeV: String
        public var mla: MLAStorage
        /// Give windowed layers the full cache (`--swa-full`, and what older builds and
        /// ik_llama.cpp do).
        public var swaFull: Bool
        /// Allocate no more cells than the model's trained context: ik_llama.cpp issue 539 asked
        /// for 131072 tokens of Qwen3-32B (trained 40960) and got 40960 cells (10240 MiB).
        public var clampToTrainedContext: Bool

        public init(
            context: Int,
            parallel: Int = 1,
            ubatch: Int = 512,
            typeK: String = "f16",
            typeV: String? = nil,
            mla: MLAStorage = .latent,
            swaFull: Bool = false,
            clampToTrainedContext: Bool = true
        ) {
            self.context = context
            self.parallel = parallel
            self.ubatch = ubatch
            self.typeK = typeK
            self.typeV = typeV ?? typeK
            self.mla = mla
            self.swaFull = swaFull
            self.clampToTrainedContext = clampToTrainedContext
        }
    }

    public enum PlanError: Error, Equatable, CustomStringConvertible {
        case unknownCacheType(String)
        case badContext(Int)

        public var description: String {
            switch self {
            case .unknownCacheType(let t):
                "unknown KV cache type '\(t)': use f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0 or iq4_nl"
            case .badContext(let n): "context \(n) is not a positive number of tokens"
            }
        }
    }

    /// Cells of the full-attention cache (the context padded to 256).
    public var cells: Int
    /// Cells of the windowed layers' cache; 0 when the model has none.
    public var windowCells: Int
    public var fullLayers: Int
    public var windowLayers: Int
    public var kBytes: Int64
    public var vBytes: Int64
    public var totalBytes: Int64 { kBytes + vBytes }

    public static let cellPadding = 256

    public init(model m: ModelSpec, options o: Options, table: QuantTable) throws {
        guard o.context > 0 else { throw PlanError.badContext(o.context) }
        guard let k = table.type(named: o.typeK.uppercased()), table.kvCacheType(o.typeK) != nil else {
            throw PlanError.unknownCacheType(o.typeK)
        }
        guard let v = table.type(named: o.typeV.uppercased()), table.kvCacheType(o.typeV) != nil else {
            throw PlanError.unknownCacheType(o.typeV)
        }
        func pad(_ n: Int) -> Int { (n + Self.cellPadding - 1) / Self.cellPadding * Self.cellPadding }
        let trained = m.maxPositionEmbeddings
        let context = o.clampToTrainedContext && trained > 0 ? min(o.context, trained) : o.context
        cells = pad(context)
        let window = m.slidingWindow ?? m.attentionChunkSize
        let full = (0..<m.numHiddenLayers).filter(m.isFullAttentionLayer)
        fullLayers = full.count
        windowLayers = m.numHiddenLayers - fullLayers
        if let window, windowLayers > 0 {
            windowCells = o.swaFull ? cells : min(cells, pad(window * max(1, o.parallel) + o.ubatch))
        } else {
            windowCells = 0
        }
        let (kRow, vRow) = KVCachePlan.rowElements(m, mla: o.mla)
        func bytes(_ elements: Int64, _ type: QuantTable.GGMLType) -> Int64 {
            (elements + Int64(type.blockSize) - 1) / Int64(type.blockSize) * Int64(type.bytesPerBlock)
        }
        let cellsTotal = Int64(cells * fullLayers + windowCells * windowLayers)
        kBytes = bytes(kRow, k) * cellsTotal
        vBytes = vRow == 0 ? 0 : bytes(vRow, v) * cellsTotal
    }

    /// Elements of one cell's K and V rows in one layer.
    public static func rowElements(_ m: ModelSpec, mla: MLAStorage) -> (k: Int64, v: Int64) {
        guard m.usesMLA else {
            let row = Int64(m.numKeyValueHeads * m.headDim)
            return (row, row)
        }
        let latent = Int64(m.kvLoraRank ?? 0)
        let rope = Int64(m.qkRopeHeadDim ?? 0)
        switch mla {
        case .latent: return (latent + rope, 0)
        case .latentAndV: return (latent + rope, latent)
        case .expanded:
            let heads = Int64(m.numAttentionHeads)
            return (heads * (Int64(m.qkNopeHeadDim ?? 0) + rope), heads * Int64(m.vHeadDim ?? m.headDim))
        }
    }
}
