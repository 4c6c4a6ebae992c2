import Foundation

/// One model's fit on every hardware preset at a few quantizations: the table the calculator
/// pages show, derived from each preset's published figures by the same engine.
public enum SpeedMatrix {
    /// The columns: 8-bit, the common 4-bit, and a 2–3-bit fallback.
    public static let quants = ["Q8_0", "Q4_K_M", "Q3_K_M", "Q2_K"]

    public struct Row: Sendable, Equatable {
        public var preset: String
        /// Per quant in `quants` order: nil when it does not fit.
        public var cells: [FitReport?]
    }

    public static func rows(
        model: ModelSpec,
        presets: [HardwarePresets.Preset],
        engine: FitEngine,
        context: Int,
        kvType: String? = nil
    ) -> [Row] {
        let inventory = TensorInventory(model)
        let ctx = min(context, model.usableContext)
        return presets.map { preset in
            Row(
                preset: preset.name,
                cells: quants.map { quant in
                    var request = FitEngine.Request(model: model, quant: quant, context: ctx, kvType: kvType ?? "f16")
                    request.choosesKVType = kvType == nil
                    let report = try? engine.fit(request, machine: preset.profile, inventory: inventory)
                    return report?.fits == true ? report : nil
                }
            )
        }
    }

    /// `decode/prefill t/s (placement)` per cell, `—` where it does not fit.
    public static func table(_ rows: [Row], context: Int) -> String {
        func pad(_ s: String, _ n: Int) -> String {
            s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0)
        }
        var lines = [
            "decode / prefill tokens/s at \(context) tokens of context on reference machines (config/presets.toml):",
            pad("preset", 18) + quants.map { pad($0, 24) }.joined(),
        ]
        for row in rows {
            let cells = row.cells.map { cell -> String in
                guard let r = cell else { return pad("—", 24) }
                let decode = r.decodeTokensPerS.map { String(format: "%.1f", $0) } ?? "?"
                let prefill = r.prefillTokensPerS.map { String(format: "%.0f", $0) } ?? "?"
                return pad("\(decode) / \(prefill) \(r.placement.mode.shortName)", 24)
            }
            lines.append(pad(row.preset, 18) + cells.joined())
        }
        return lines.joined(separator: "\n")
    }
}
