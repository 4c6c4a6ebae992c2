/// KV cache bytes per token, as llama.cpp allocates them: per layer, K and V rows of
/// `n_kv_heads × head_dim` elements in the cache type (quantized types by whole blocks).
/// MLA layers follow current llama.cpp: K holds the latent plus the RoPE part
/// (`kv_lora_rank + qk_rope_head_dim`, 576 for DeepSeek V3) and no V (see `KVCachePlan`).
public enum KVCacheSize {
    /// Bytes one token takes in every layer that holds it; `nil` for an unknown cache type.
    ///
    /// - Parameter layers: which layers to count (default: all; the fit engine passes the
    ///   full-attention ones when sliding-window layers are sized apart).
    public static func bytesPerToken(
        _ m: ModelSpec,
        cacheType: String,
        table: QuantTable,
        layers: [Int]? = nil
    ) -> Int64? {
        guard let kv = table.kvCacheType(cacheType), let type = table.type(named: cacheType) ?? f16Equivalent(kv, table)
        else { return nil }
        let (k, v) = rowElements(m)
        let perLayer = rowBytes(k, type) + (v == 0 ? 0 : rowBytes(v, type))
        return perLayer * Int64((layers ?? Array(0..<m.numHiddenLayers)).count)
    }

    /// Elements of one token's K and V rows in one layer, as current llama.cpp stores them.
    public static func rowElements(_ m: ModelSpec) -> (k: Int64, v: Int64) {
        KVCachePlan.rowElements(m, mla: .latent)
    }

    private static func rowBytes(_ elements: Int64, _ type: QuantTable.GGMLType) -> Int64 {
        let blocks = (elements + Int64(type.blockSize) - 1) / Int64(type.blockSize)
        return blocks * Int64(type.bytesPerBlock)
    }

    /// Cache types are ggml types by name (`q8_0` is Q8_0).
    private static func f16Equivalent(_ kv: QuantTable.KVCacheType, _ table: QuantTable) -> QuantTable.GGMLType? {
        table.type(named: kv.name.uppercased())
    }
}
