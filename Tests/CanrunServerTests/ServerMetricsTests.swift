import CanrunCore
import CanrunServer
import Foundation
import Prometheus
import Testing

/// `GET /metrics` through a Prometheus registry of the test's own (the process-wide metrics
/// system is the daemon's to bootstrap).
struct ServerMetricsTests {
    static func dispatcher(_ registry: PrometheusCollectorRegistry) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil,
            metrics: ServerMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            exposition: { registry.emitToBuffer() }
        )
    }

    @Test func requestsAndFactsAreExposed() async throws {
        let registry = PrometheusCollectorRegistry()
        let d = try Self.dispatcher(registry)
        _ = await d.respond(method: .GET, target: "/v1/health", bodyBytes: 0, peer: nil)
        _ = await d.respond(method: .GET, target: "/v1/health", bodyBytes: 0, peer: nil)
        _ = await d.respond(method: .GET, target: "/v1/fit?model=nope", bodyBytes: 0, peer: nil)
        _ = await d.respond(method: .GET, target: "/../../etc/passwd", bodyBytes: 0, peer: nil)
        // With no fit gauges to compute, /metrics is answered on the event loop.
        #expect(d.respondNow(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil)?.status.code == 200)
        let response = await d.respond(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil)
        #expect(response.status.code == 200)
        #expect(response.contentType.hasPrefix("text/plain; version=0.0.4"))
        let text = ServerFixtures.text(response)
        #expect(text.contains(#"canrun_requests_total{route="health",status="200"} 2"#))
        #expect(text.contains(#"canrun_requests_total{route="fit",status="404"} 1"#))
        #expect(text.contains(#"canrun_requests_total{route="unknown",status="404"} 1"#))
        #expect(text.contains("canrun_request_duration_seconds_bucket"))
        // The fixture machine: 64 GiB, 60 GB/s on node 0.
        #expect(text.contains(#"canrun_memory_bytes{kind="total"} 68719476736"#))
        #expect(text.contains(#"canrun_memory_read_bandwidth_bytes_per_second{numa_node="0"} 60000000000"#))
        #expect(text.contains("canrun_benchmark_age_seconds"))
        #expect(text.contains(#"canrun_info{version="test"} 1"#))
    }

    /// Fit gauges for the configured models (issue 16): labels as configured, `auto` for canrun's
    /// choice; names canrun cannot answer give no series and are named for the log. The fixture
    /// machine (64 GiB, 60 GB/s, no GPU) holds Llama 3.1 8B Q4_K_M at its whole 131,072 tokens
    /// (4.6 GiB of weights + 16 GiB of f16 KV).
    @Test func configuredModelsGetFitGauges() async throws {
        let registry = PrometheusCollectorRegistry()
        let models = ["llama-3.1-8b@Q4_K_M", "llama3.1:8b", "llama-3.1-405b@Q8_0", "nope", "llama-3.1-8b@Q9_Z"]
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil,
            metrics: ServerMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            exposition: { registry.emitToBuffer() },
            metricsModels: models
        )
        // Fits are computed off the event loop: the loop's answer is "not now".
        #expect(d.respondNow(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil) == nil)
        let text = ServerFixtures.text(await d.respond(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil))
        let lines = text.split(separator: "\n").map(String.init)
        func value(_ name: String, _ model: String, _ quant: String) -> Double? {
            let prefix = "\(name){model=\"\(model)\",quant=\"\(quant)\"} "
            return lines.first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
        }
        #expect(value("canrun_model_fits", "llama-3.1-8b", "Q4_K_M") == 1)
        #expect(value("canrun_model_max_context_tokens", "llama-3.1-8b", "Q4_K_M") == 131_072)
        #expect((value("canrun_model_decode_tokens_per_second", "llama-3.1-8b", "Q4_K_M") ?? 0) > 0)
        // An Ollama name, at canrun's choice (its tag's quantization).
        #expect(value("canrun_model_fits", "llama3.1:8b", "auto") == 1)
        // 405 B at 8 bits is no fit for 64 GiB, and says so rather than vanishing.
        #expect(value("canrun_model_fits", "llama-3.1-405b", "Q8_0") == 0)
        #expect(value("canrun_model_max_context_tokens", "llama-3.1-405b", "Q8_0") == 0)
        #expect(!text.contains(#"model="nope""#))
        #expect(!text.contains("Q9_Z"))
        let problems = ServerMetrics.unanswerable(models, in: try ServerFixtures.snapshot())
        #expect(problems.count == 2)
        #expect(problems.first?.hasPrefix("metrics.models nope: unknown model 'nope'") == true)
        #expect(ServerMetrics.metricsModel("a@b") == ("a", "b"))
        #expect(ServerMetrics.metricsModel("a@") == ("a@", nil))
    }

    @Test func withoutAnExpositionMetricsAreNotFound() async throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        let response = await d.respond(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil)
        #expect(response.status.code == 404)
    }
}
