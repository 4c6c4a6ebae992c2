import CanrunCore
import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1

/// What `GET /metrics` exposes, through swift-metrics (the daemon's main picks Prometheus):
/// requests by route and status, latency by route, and the machine's facts as gauges with fixed
/// label names (memory, GPU memory, measured bandwidth per NUMA node, the benchmark's age).
public struct ServerMetrics: Sendable {
    let factory: any MetricsFactory
    /// The request series made so far: making one costs the factory a labelled lookup, and
    /// every request records into one.
    private let requestSeries = NIOLockedValueBox<[SeriesKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    private struct SeriesKey: Hashable {
        var route: String
        var status: UInt
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The route label of a request: one of a fixed set, so a client cannot mint series.
    public static func routeLabel(_ route: Result<APIRoute, APIError>) -> String {
        guard case .success(let r) = route else { return "unknown" }
        switch r {
        case .health: return "health"
        case .machine: return "machine"
        case .bandwidth: return "bandwidth"
        case .rebenchmark: return "rebenchmark"
        case .reload: return "reload"
        case .models: return "models"
        case .model: return "model"
        case .fit, .fitConfig: return "fit"
        case .recommendations: return "recommendations"
        case .metrics: return "metrics"
        }
    }

    public func recordRequest(route: String, status: HTTPResponseStatus, duration: Duration) {
        let key = SeriesKey(route: route, status: status.code)
        let (counter, timer) = requestSeries.withLockedValue { series in
            if let made = series[key] { return made }
            let made = (
                Counter(
                    label: "canrun_requests_total",
                    dimensions: [("route", route), ("status", String(status.code))],
                    factory: factory
                ),
                CoreMetrics.Timer(
                    label: "canrun_request_duration_seconds",
                    dimensions: [("route", route)],
                    factory: factory
                )
            )
            series[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        )
    }

    /// Sets the machine gauges from `snapshot` as of `now`.
    public func recordFacts(_ snapshot: APISnapshot, now: Date) {
        let m = snapshot.machine
        func gauge(_ label: String, _ dimensions: [(String, String)], _ value: Int64?) {
            guard let value else { return }
            Gauge(label: label, dimensions: dimensions, factory: factory).record(value)
        }
        gauge("canrun_memory_bytes", [("kind", "total")], m.memory.totalBytes)
        gauge("canrun_memory_bytes", [("kind", "available")], m.memory.availableBytes)
        for (index, gpu) in (m.gpus ?? []).enumerated() {
            let labels = [("gpu", String(index)), ("name", gpu.name ?? "unknown")]
            gauge("canrun_gpu_memory_bytes", labels + [("kind", "total")], gpu.memoryBytes)
            gauge("canrun_gpu_memory_bytes", labels + [("kind", "free")], gpu.memoryFreeBytes)
        }
        if let bandwidth = m.bandwidth {
            for node in bandwidth.nodes {
                gauge(
                    "canrun_memory_read_bandwidth_bytes_per_second",
                    [("numa_node", String(node.node))],
                    node.readBytesPerS
                )
            }
            gauge(
                "canrun_memory_read_bandwidth_bytes_per_second",
                [("numa_node", "all")],
                bandwidth.total.readBytesPerS
            )
            Gauge(label: "canrun_benchmark_age_seconds", factory: factory)
                .record(max(0, now.timeIntervalSince(bandwidth.measuredAt)))
        }
        Gauge(label: "canrun_info", dimensions: [("version", snapshot.version)], factory: factory).record(1)
    }
}
