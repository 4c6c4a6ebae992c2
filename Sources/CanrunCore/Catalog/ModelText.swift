import Foundation

/// Human output of `canrun models` and `canrun models show`.
public enum ModelText {
    /// Ids and names can come from files (a GGUF's `general.name`, its file name, `models.d`):
    /// they pass `TerminalText` here.
    public static func table(_ models: [ModelSummary]) -> String {
        var lines = [pad("id", 30) + pad("params", 10) + pad("active", 10) + pad("layers", 8) + "context"]
        for m in models {
            lines.append(
                pad(TerminalText.sanitised(m.id), 30) + pad(billions(m.paramsTotal), 10)
                    + pad(m.paramsActive == m.paramsTotal ? "" : billions(m.paramsActive), 10) + pad("\(m.layers)", 8)
                    + "\(m.contextMax)"
            )
        }
        return lines.joined(separator: "\n")
    }

    public static func detail(_ m: ModelSummary, spec: ModelSpec) -> String {
        let safe = { (text: String) in TerminalText.sanitised(text) }
        var lines = ["\(safe(m.name)) (\(safe(m.id)))" + (m.hfRepo.map { " — \(safe($0))" } ?? "")]
        var shape =
            "\(spec.numHiddenLayers) layers, hidden \(spec.hiddenSize), \(spec.numAttentionHeads) heads / \(spec.numKeyValueHeads) KV heads × \(spec.headDim)"
        if spec.isMoE {
            shape += ", \(spec.numExperts ?? 0) experts (\(spec.numExpertsPerTok ?? 0) per token)"
        }
        if spec.usesMLA { shape += ", MLA (kv_lora_rank \(spec.kvLoraRank ?? 0))" }
        if let window = spec.slidingWindow { shape += ", sliding window \(window)" }
        lines.append(shape)
        var params = "parameters \(billions(m.paramsTotal)) (computed from the shapes)"
        if m.paramsActive != m.paramsTotal { params += ", \(billions(m.paramsActive)) active per token" }
        if let published = spec.paramsTotalPublished { params += "; published \(billions(Int64(published)))" }
        lines.append(params)
        lines.append("context up to \(m.contextMax) tokens")
        if let native = m.nativeFormat {
            lines.append(
                "ships as \(safe(native))"
                    + (m.nativeFormatAnsweredAs.map { ": canrun answers it as \(safe($0))" } ?? "")
            )
        }
        if let weights = m.weightsBytes {
            lines.append("weights:")
            for (quant, bytes) in weights.sorted(by: { $0.value > $1.value }) {
                lines.append("  " + pad(safe(quant), 10) + ProfileText.bytes(bytes))
            }
        }
        if let kv = m.kvBytesPerToken {
            lines.append(
                "KV cache per token (all layers): "
                    + kv.sorted(by: { $0.value > $1.value }).map { "\($0.key) \(ProfileText.bytes($0.value))" }.joined(
                        separator: ", "
                    )
            )
        }
        return lines.joined(separator: "\n")
    }

    static func billions(_ n: Int64) -> String {
        if n < 1_000_000 { return "\(n)" }
        if n < 1_000_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
        let b = Double(n) / 1e9
        return b >= 10 ? String(format: "%.1fB", b) : String(format: "%.2fB", b)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
    }
}
