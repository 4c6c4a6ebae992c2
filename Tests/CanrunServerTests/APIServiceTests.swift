import CanrunCore
import Foundation
import Testing

@testable import CanrunServer

/// Every route's answer from a snapshot, without sockets: status, code, and the JSON the CLI
/// prints for the same question.
struct APIServiceTests {
    @Test func healthSaysTheBenchmarkState() throws {
        let ready = APIService(snapshot: try ServerFixtures.snapshot()).respond(to: .health)
        #expect(ready.status.code == 200)
        #expect(
            try ServerFixtures.json(ready) as NSDictionary == [
                "status": "ok", "version": "test", "benchmark": "ready", "calibration": "none",
            ]
        )
        let pending = APIService(snapshot: try ServerFixtures.snapshot(bandwidth: nil)).respond(to: .health)
        #expect(try ServerFixtures.json(pending)["benchmark"] as? String == "pending")
    }

    /// The body is exactly what `canrun fit llama-3.1-8b --quant Q4_K_M --ctx 4096 --json` prints:
    /// the engine's report through the same encoder, newline-ended.
    @Test func fitIsTheCLIsJSON() throws {
        let snapshot = try ServerFixtures.snapshot()
        let response = APIService(snapshot: snapshot).respond(
            to: .fit(.init(model: "llama-3.1-8b", quant: "Q4_K_M", context: 4096, kvType: "f16", flashAttention: true))
        )
        let spec = try #require(snapshot.catalog.model("llama-3.1-8b"))
        let report = try snapshot.engine.fit(
            .init(model: spec, quant: "Q4_K_M", context: 4096),
            machine: snapshot.machine
        )
        #expect(response.status.code == 200)
        #expect(response.contentType == "application/json")
        #expect(response.body == Array(try ProfileJSON.encoder().encode(report)) + [UInt8(ascii: "\n")])
    }

    /// DESIGN §5.1: without a quantization, `{"model", "reports": [FitReport, …]}`, one per rung
    /// of the ladder, best quality first; each the report asked for with that quantization.
    @Test func fitWithoutAQuantizationIsEveryQuantization() throws {
        let snapshot = try ServerFixtures.snapshot()
        let response = APIService(snapshot: snapshot).respond(
            to: .fit(.init(model: "llama-3.1-8b", quant: nil, context: nil, kvType: "f16", flashAttention: true))
        )
        #expect(response.status.code == 200)
        let answer = try ProfileJSON.decoder().decode(FitReports.self, from: Data(response.body))
        #expect(answer.model == "llama-3.1-8b")
        #expect(answer.reports.map(\.quant) == Recommendations.ladder)
        #expect(answer.reports.allSatisfy { $0.contextTokens == 8192 })
        // 64 GiB holds every rung; Q5_K_M is the best quality that decodes at 10 tokens/s there
        // (QuantChoice), and `choice` says so.
        #expect(answer.reports.allSatisfy { $0.fits })
        #expect(answer.best?.quant == "Q5_K_M")
        #expect(answer.choice == QuantChoice(quant: "Q5_K_M", rule: .meetsSpeedGoal, goalTokensPerS: 10))
        #expect((answer.reports[1].decodeTokensPerS ?? 0) < 10)
        let spec = try #require(snapshot.catalog.model("llama-3.1-8b"))
        let q4 = try snapshot.engine.fit(.init(model: spec, quant: "Q4_K_M", context: 8192), machine: snapshot.machine)
        #expect(answer.reports[3] == q4)
    }

    @Test(arguments: [
        (
            APIRoute.fit(.init(model: "llama-3.1-8bb", quant: nil, context: nil, kvType: "f16", flashAttention: true)),
            404, "unknown_model"
        ),
        (
            .fit(.init(model: "llama-3.1-8b", quant: "Q9_X", context: nil, kvType: "f16", flashAttention: true)), 400,
            "unknown_quant"
        ),
        (
            .fit(
                .init(model: "llama-3.1-8b", quant: "Q4_K_M", context: 10_000_000, kvType: "f16", flashAttention: true)
            ), 400, "impossible_context"
        ),
        (
            .fit(.init(model: "llama-3.1-8b", quant: "Q4_K_M", context: 4096, kvType: "q7_z", flashAttention: true)),
            400, "unknown_kv_type"
        ),
        (.model(id: "no-such-model"), 404, "unknown_model"),
    ])
    func badQuestionsAreClearErrors(_ route: APIRoute, _ status: Int, _ code: String) throws {
        let response = APIService(snapshot: try ServerFixtures.snapshot()).respond(to: route)
        #expect(response.status.code == status)
        let error = try #require(try ServerFixtures.json(response)["error"] as? [String: Any])
        #expect(error["code"] as? String == code)
        #expect((error["message"] as? String)?.isEmpty == false)
    }

    @Test func unknownModelSuggestsCloseIds() throws {
        let response = APIService(snapshot: try ServerFixtures.snapshot()).respond(to: .model(id: "llama-3.1-8bb"))
        let error = try #require(try ServerFixtures.json(response)["error"] as? [String: Any])
        #expect((error["hint"] as? String)?.contains("llama-3.1-8b") == true)
    }

    @Test func bandwidthBeforeAnyMeasurementIsNotFound() throws {
        let response = APIService(snapshot: try ServerFixtures.snapshot(bandwidth: nil)).respond(to: .bandwidth)
        #expect(response.status.code == 404)
        #expect(ServerFixtures.text(response).contains("no_bandwidth"))
        let measured = APIService(snapshot: try ServerFixtures.snapshot()).respond(to: .bandwidth)
        #expect(try ServerFixtures.json(measured)["threads"] as? Int == 8)
    }

    @Test func catalogRoutes() throws {
        let snapshot = try ServerFixtures.snapshot()
        let service = APIService(snapshot: snapshot)
        let models = try JSONSerialization.jsonObject(with: Data(service.respond(to: .models).body)) as? [Any]
        #expect(models?.count == snapshot.catalog.models.count)
        let one = try ServerFixtures.json(service.respond(to: .model(id: "llama-3.1-8b")))
        #expect(one["id"] as? String == "llama-3.1-8b")
        #expect((one["weights_bytes"] as? [String: Any])?["Q4_K_M"] != nil)
    }

    @Test func recommendationsHonourTheLimit() throws {
        let response = APIService(snapshot: try ServerFixtures.snapshot()).respond(
            to: .recommendations(.init(context: 4096, minTokensPerSecond: nil, limit: 3))
        )
        let reports = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]
        #expect(reports?.count == 3)
        #expect(reports?.allSatisfy { $0["fits"] as? Bool == true } == true)
    }
}

/// `POST /v1/fit` with a Hugging Face config.json: the fit `canrun fit config.json` prints.
struct PostedConfigTests {
    static let qwen = ServerFixtures.repository + "/Tests/Fixtures/hf-config/qwen3-30b-a3b.config.json"

    @Test func aPostedConfigIsFitted() throws {
        let snapshot = try ServerFixtures.snapshot()
        let body = Array(try Data(contentsOf: URL(fileURLWithPath: Self.qwen)))
        let route = try APIRoute.parse(method: .POST, target: "/v1/fit?quant=Q4_K_M&ctx=4096&id=qwen3").get()
        let response = APIService(snapshot: snapshot).respond(to: route, body: body)
        let (spec, _) = try HFConfigReader.read(Data(body), id: "qwen3")
        let report = try snapshot.engine.fit(
            .init(model: spec, quant: "Q4_K_M", context: 4096),
            machine: snapshot.machine
        )
        #expect(response.status.code == 200)
        #expect(response.body == Array(try ProfileJSON.encoder().encode(report)) + [UInt8(ascii: "\n")])
    }

    @Test(arguments: ["", "not json", "{\"architectures\": [\"Nope\"]}"])
    func aBodyThatIsNoConfigIs400(_ body: String) throws {
        let route = try APIRoute.parse(method: .POST, target: "/v1/fit?quant=Q4_K_M").get()
        let response = APIService(snapshot: try ServerFixtures.snapshot()).respond(to: route, body: Array(body.utf8))
        #expect(response.status.code == 400)
        #expect(ServerFixtures.text(response).contains("the posted body"))
    }

    @Test func postedFitsAreNotCached() {
        let route = APIRoute.fitConfig(.init(model: "x", quant: nil, context: nil, kvType: "f16", flashAttention: true))
        #expect(!ResponseCache.isCacheable(route))
    }
}
