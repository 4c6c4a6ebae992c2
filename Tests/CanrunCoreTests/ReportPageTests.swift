import CanrunCore
import Foundation
import Testing

/// The report page's text: self-contained (no address it would fetch), every model's row with
/// the data the script sorts on, and names escaped.
struct ReportPageTests {
    static func page() throws -> (String, [FitReport]) {
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60)
        let engine = FitEngine(quants: ShippedCatalog.quants, efficiency: FitEngineTests.efficiency)
        var reports = try ["llama-3.2-1b", "qwen3-8b"].map { id in
            try engine.fit(.init(model: try FitEngineTests.model(id), quant: "Q4_K_M", context: 8192), machine: machine)
        }
        reports[0].model = "<script>alert(1)</script>"
        return (
            ReportPage.html(
                label: "this machine",
                machine: machine,
                reports: reports,
                date: Date(timeIntervalSince1970: 0)
            ), reports
        )
    }

    @Test func thePageIsSelfContained() throws {
        let (html, _) = try Self.page()
        #expect(!html.contains("src="))
        #expect(!html.contains("href=\"http"))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.contains("1970-01-01T00:00:00Z"))
    }

    @Test func everyModelHasARowWithItsSortKeys() throws {
        let (html, reports) = try Self.page()
        #expect(html.components(separatedBy: "<tr data-verdict=").count - 1 == reports.count)
        let second = reports[1]
        #expect(html.contains("data-model=\"qwen3-8b\""))
        #expect(html.contains("data-memory=\"\(second.memory.totalBytes)\""))
        #expect(html.contains("data-context=\"\(second.maxContextTokens)\""))
        #expect(html.contains("llama-server \(second.launch["llama.cpp"] ?? "")"))
        // A name is text, never markup.
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    /// The first models get their memory at every quantization and their speed on each
    /// reference machine; the rest do not (each costs a fit per rung and per machine).
    @Test func extrasAddTheLadderAndTheReferenceMachines() throws {
        let (_, reports) = try Self.page()
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60)
        let advisor = Advisor(
            engine: FitEngine(quants: ShippedCatalog.quants, efficiency: FitEngineTests.efficiency),
            catalog: ShippedCatalog.catalog
        )
        var named = reports
        named[0].model = "llama-3.2-1b"
        let preset = HardwarePresets.Preset(name: "test-box", description: "", profile: machine)
        let extras = ReportExtras.of(named, advisor: advisor, machine: machine, presets: [preset])
        #expect(extras.count == 2)
        let first = try #require(extras[0])
        #expect(
            first.ladder.map(\.quant)
                == Recommendations.ladder(for: try advisor.model("llama-3.2-1b"), quants: ShippedCatalog.quants)
        )
        #expect(first.presets.map(\.name) == ["test-box"])
        #expect(first.presets.first?.report?.quant == "Q4_K_M")
        let html = ReportPage.html(label: "x", machine: machine, reports: named, extras: extras, date: Date())
        #expect(html.components(separatedBy: "aria-label=\"memory by quantization\"").count == 3)
        #expect(html.contains(">test-box</text>"))
    }

    @Test func escapingCoversAttributesToo() {
        #expect(ReportPage.escape("a\"b'c<d>&") == "a&quot;b&#39;c&lt;d&gt;&amp;")
    }
}
