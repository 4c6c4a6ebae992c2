import CanrunCore
import Foundation
import Testing

/// KV cache sizes against what llama.cpp and ik_llama.cpp printed (Tests/Fixtures/reference/
/// kv_cache.csv, each row citing its log line). Target: every llama.cpp-family row within 0.5%.
struct KVCachePlanTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var model: String
        var engine: String
        var context: Int
        var typeK: String
        var typeV: String
        var totalMiB: Double
        var testDescription: String { "\(model), \(engine), \(context) tokens" }
    }

    static let ids: [String: String] = [
        "Llama-3.1-70B": "llama-3.1-70b", "Llama-3.1-8B-Instruct": "llama-3.1-8b", "Qwen3-30B-A3B": "qwen3-30b-a3b",
        "Qwen3-32B": "qwen3-32b", "DeepSeek-V3-0324": "deepseek-v3",
    ]

    /// Rows printed by a runtime (the HF blog rows are the formula's output in rounded GiB).
    static let rows: [Row] = {
        CoreFixtures.csv("reference/kv_cache.csv").compactMap { f -> Row? in
            guard f.count >= 7, f[1].contains("llama.cpp"), let context = Int(f[2]), let total = Double(f[6]) else {
                return nil
            }
            let model = String(f[0].split(separator: " (").first ?? "")
            return Row(model: model, engine: f[1], context: context, typeK: f[3], typeV: f[4], totalMiB: total)
        }
    }()

    static func mla(_ engine: String) -> KVCachePlan.MLAStorage {
        if engine.contains("without MLA") { return .expanded }
        if engine.contains("mainline MLA") { return .latentAndV }
        return .latent
    }

    @Test func everyRuntimeRowWithinHalfAPercent() throws {
        #expect(Self.rows.count == 10)
        for row in Self.rows {
            let model = try #require(ShippedCatalog.catalog.model(Self.ids[row.model] ?? ""), "\(row.model)")
            let plan = try KVCachePlan(
                model: model,
                options: .init(
                    context: row.context,
                    typeK: row.typeK,
                    typeV: row.typeV == "(none)" ? row.typeK : row.typeV,
                    mla: Self.mla(row.engine)
                ),
                table: ShippedCatalog.quants
            )
            let mib = Double(plan.totalBytes) / 1_048_576
            #expect(abs(mib / row.totalMiB - 1) <= 0.005, "\(row.testDescription): \(mib) MiB vs \(row.totalMiB)")
        }
    }

    /// gpt-oss-20b: 12 full layers hold the padded context; 12 sliding (window 128) layers hold
    /// 128 × 1 + 512 = 640 → 768 cells. 8 KV heads × 64 × 2 bytes × 2 (K, V) = 2 KiB per cell.
    @Test func slidingWindowLayersHoldTheWindow() throws {
        let model = try #require(ShippedCatalog.catalog.model("gpt-oss-20b"))
        let plan = try KVCachePlan(model: model, options: .init(context: 8000), table: ShippedCatalog.quants)
        #expect(plan.cells == 8192)
        #expect(plan.windowCells == 768)
        #expect(plan.fullLayers == 12)
        #expect(plan.windowLayers == 12)
        #expect(plan.totalBytes == Int64(12 * 8192 + 12 * 768) * 2048)
        let full = try KVCachePlan(
            model: model,
            options: .init(context: 8000, swaFull: true),
            table: ShippedCatalog.quants
        )
        #expect(full.totalBytes == Int64(24 * 8192) * 2048)
        let four = try KVCachePlan(
            model: model,
            options: .init(context: 8000, parallel: 4),
            table: ShippedCatalog.quants
        )
        #expect(four.windowCells == 1024)
    }

    @Test func badRequestsAreClearErrors() throws {
        let model = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        #expect(throws: KVCachePlan.PlanError.unknownCacheType("q3_k")) {
            try KVCachePlan(model: model, options: .init(context: 4096, typeK: "q3_k"), table: ShippedCatalog.quants)
        }
        #expect(throws: KVCachePlan.PlanError.badContext(0)) {
            try KVCachePlan(model: model, options: .init(context: 0), table: ShippedCatalog.quants)
        }
    }
}
