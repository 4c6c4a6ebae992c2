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
