import CanrunCore
import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import Prometheus

/// What `GET /metrics` exposes, in a Prometheus registry: requests by route and status, latency
/// by route, and the machine's facts as gauges with fixed label names (memory, GPU memory,
/// measured bandwidth per NUMA node, the benchmark's age), each with its `# HELP` line
/// (`help`) in base units, bytes and seconds.
public struct ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The request series made so far: making one costs the registry a labelled lookup, and
    /// every request records into one.
    private let requestSeries = NIOLockedValueBox<[SeriesKey: (Counter, DurationHistogram)]>([:])
    /// The watched models' gauges set at the last scrape: a model a server no longer has loaded
    /// loses its series instead of keeping its last values.
    private let observedSeries = NIOLockedValueBox<[ObservedKey: Gauge]>([:])

    private struct ObservedKey: Hashable {
        var metric: String
        var labels: [String]
    }

    /// Every metric canrund exposes, with its `# HELP` text.
    public static let help: [String: String] = [
        "canrun_requests_total": "Requests answered, by route and HTTP status.",
        "canrun_request_duration_seconds": "Time to answer a request, seconds, by route.",
        "canrun_memory_bytes": "RAM in bytes: installed (kind=total) and available now (kind=available).",
        "canrun_gpu_memory_bytes": "GPU memory in bytes, per GPU: total and free now.",
        "canrun_memory_read_bandwidth_bytes_per_second":
            "Memory read bandwidth canrun measured, bytes per second, per NUMA node and for all nodes (numa_node=all).",
        "canrun_benchmark_age_seconds": "Seconds since the memory bandwidth was measured.",
        "canrun_info": "canrun's version, as a label; the value is always 1.",
        "canrun_model_fits": "1 when the configured model fits this machine, else 0.",
        "canrun_model_fits_now": "1 when the configured model fits the memory free now, else 0.",
        "canrun_model_decode_tokens_per_second": "Predicted decode speed of the configured model, tokens per second.",
        "canrun_model_max_context_tokens":
            "Longest context of the configured model that fits, tokens (0 when it does not fit).",
        "canrun_observed_decode_tokens_per_second":
            "Decode speed a watched model server ([[observe]]) reported for a loaded model, tokens per second.",
        "canrun_predicted_decode_tokens_per_second":
            "canrun's predicted decode speed for a watched server's loaded model on this machine, tokens per second.",
        "canrun_observed_over_predicted_decode": "Observed decode speed divided by canrun's prediction.",
        "canrun_observed_prefill_tokens_per_second":
            "Prompt speed a watched model server reported for a loaded model, tokens per second.",
        "canrun_predicted_prefill_tokens_per_second":
            "canrun's predicted prompt speed for a watched server's loaded model on this machine, tokens per second.",
        "canrun_observed_over_predicted_prefill": "Observed prompt speed divided by canrun's prediction.",
        "canrun_observed_model_memory_bytes": "Memory a watched model server says a loaded model holds, bytes.",
        "canrun_predicted_model_memory_bytes":
            "canrun's predicted memory for a watched server's loaded model, bytes.",
    ]

    /// Request latency buckets, seconds: a cached answer takes about a millisecond, a ranking
    /// up to the 5 s computation limit.
    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private struct SeriesKey: Hashable {
        var route: String
        var status: UInt
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// `name` (its unit already in it) with its help text.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }

    func gauge(_ name: String, _ labels: [(String, String)]) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name), labels: labels)
    }

    /// The route label of a request: one of a fixed set, so a client cannot mint series.
    public static func routeLabel(_ route: Result<APIRoute, APIError>) -> String {
        guard case .success(let r) = route else { return "unknown" }
        switch r {
        case .health: return "health"
        case .machine: return "machine"
        case .bandwidth: return "bandwidth"
        case .calibration, .recalibrate: return "calibration"
        case .observations: return "observations"
        case .verify, .verifications: return "verify"
        case .rebenchmark: return "rebenchmark"
        case .reload: return "reload"
        case .models: return "models"
        case .model: return "model"
        case .fit, .fitConfig: return "fit"
        case .recommendations: return "recommendations"
        case .report: return "report"
        case .metrics: return "metrics"
        }
    }

    public func recordRequest(route: String, status: HTTPResponseStatus, duration: Duration) {
        let key = SeriesKey(route: route, status: status.code)
        let (counter, timer) = requestSeries.withLockedValue { series in
            if let made = series[key] { return made }
            let made = (
                registry.makeCounter(
                    descriptor: Self.descriptor("canrun_requests_total"),
                    labels: [("route", route), ("status", String(status.code))]
                ),
                registry.makeDurationHistogram(
                    descriptor: Self.descriptor("canrun_request_duration_seconds"),
                    labels: [("route", route)],
                    buckets: Self.latencyBuckets
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

    /// Sets the machine gauges from `snapshot` as of `now`, and the fit gauges of `models`
    /// (`recordFits`).
    public func recordFacts(_ snapshot: APISnapshot, now: Date, models: [String] = []) {
        recordFits(models, snapshot)
        let m = snapshot.machine
        func gauge(_ name: String, _ labels: [(String, String)], _ value: Int64?) {
            guard let value else { return }
            self.gauge(name, labels).set(value)
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
            registry.makeGauge(descriptor: Self.descriptor("canrun_benchmark_age_seconds"))
                .set(max(0, now.timeIntervalSince(bandwidth.measuredAt)))
        }
        self.gauge("canrun_info", [("version", snapshot.version)]).set(1.0)
    }

    /// Per model a watched server has loaded, labelled `model` (a GGUF file's name without its
    /// folder), `quant` and `server`: what it was observed doing and what canrun predicts, and
    /// their ratio, where each is known.
    public func recordObservations(_ servers: [ServerObservations]) {
        var set: [ObservedKey: Gauge] = [:]
        for server in servers {
            for model in server.models {
                let name = model.model.hasPrefix("/") ? (model.model as NSString).lastPathComponent : model.model
                let labels = [("model", name), ("quant", model.quant ?? "unknown"), ("server", server.server)]
                func gauge(_ metric: String, _ value: Double?) {
                    guard let value else { return }
                    let made = self.gauge(metric, labels)
                    made.set(value)
                    set[ObservedKey(metric: metric, labels: labels.map(\.1))] = made
                }
                gauge("canrun_observed_decode_tokens_per_second", model.observedDecodeTokensPerS)
                gauge("canrun_predicted_decode_tokens_per_second", model.predictedDecodeTokensPerS)
                gauge("canrun_observed_over_predicted_decode", model.decodeRatio)
                gauge("canrun_observed_prefill_tokens_per_second", model.observedPrefillTokensPerS)
                gauge("canrun_predicted_prefill_tokens_per_second", model.predictedPrefillTokensPerS)
                gauge("canrun_observed_over_predicted_prefill", model.prefillRatio)
                gauge("canrun_observed_model_memory_bytes", model.observedMemoryBytes.map(Double.init))
                gauge("canrun_predicted_model_memory_bytes", model.predictedMemoryBytes.map(Double.init))
            }
        }
        let gone = observedSeries.withLockedValue { published in
            defer { published = set }
            return published.filter { set[$0.key] == nil }.map(\.value)
        }
        for gauge in gone { registry.unregisterGauge(gauge) }
    }

    /// Per configured model (`MODEL` at canrun's choice, `MODEL@QUANT` at that quantization), with
    /// the `model` and `quant` labels as configured (`quant="auto"` for the choice), so a series
    /// keeps its labels while the answer behind it changes:
    /// - `canrun_model_fits`: 1 when it fits the machine, else 0;
    /// - `canrun_model_fits_now`: the same against the memory free now, where that is known;
    /// - `canrun_model_decode_tokens_per_second`, where the speed is known;
    /// - `canrun_model_max_context_tokens`: the longest context that fits (0 when it does not).
    /// A name canrun cannot answer gives no series (canrund logs it at start and on reload).
    func recordFits(_ models: [String], _ snapshot: APISnapshot) {
        for (entry, answer) in Self.fits(models, snapshot) {
            guard let report = answer else { continue }
            let (name, quant) = Self.metricsModel(entry)
            let labels = [("model", name), ("quant", quant ?? "auto")]
            func gauge(_ name: String, _ value: Double?) {
                guard let value else { return }
                self.gauge(name, labels).set(value)
            }
            gauge("canrun_model_fits", report.fits ? 1 : 0)
            gauge("canrun_model_fits_now", report.fitsNow.map { $0 ? 1 : 0 })
            gauge("canrun_model_decode_tokens_per_second", report.decodeTokensPerS)
            gauge("canrun_model_max_context_tokens", Double(report.maxContextTokens))
        }
    }

    /// Each configured entry (`MODEL` or `MODEL@QUANT`) with its report on the snapshot's
    /// machine; nil where canrun cannot answer it.
    public static func fits(_ models: [String], _ snapshot: APISnapshot) -> [(entry: String, report: FitReport?)] {
        let advisor = Advisor(engine: snapshot.engine, catalog: snapshot.catalog)
        return models.map { entry in
            let (name, quant) = metricsModel(entry)
            let report = (try? advisor.model(name)).flatMap { spec in
                try? advisor.report(
                    spec,
                    advisor.question(FitQuestion(quant: quant), naming: name),
                    machine: snapshot.machine
                )
            }
            return (entry, report)
        }
    }

    /// Why each of `models` canrun cannot answer gets no series, one line each: for the log.
    public static func unanswerable(_ models: [String], in snapshot: APISnapshot) -> [String] {
        let advisor = Advisor(engine: snapshot.engine, catalog: snapshot.catalog)
        return models.compactMap { entry -> String? in
            let (name, quant) = metricsModel(entry)
            do {
                let spec = try advisor.model(name)
                if let quant { _ = try advisor.fit(spec, FitQuestion(quant: quant), machine: snapshot.machine) }
                return nil
            } catch {
                return
                    "metrics.models \(entry): \((error as? AnswerError)?.message ?? "\(error)"); no fit gauges for it"
            }
        }
    }

    /// `llama-3.3-70b@Q4_K_M` → (`llama-3.3-70b`, `Q4_K_M`); `qwen3-30b-a3b` → (it, nil).
    public static func metricsModel(_ entry: String) -> (name: String, quant: String?) {
        guard let at = entry.lastIndex(of: "@"), at != entry.startIndex, entry.index(after: at) != entry.endIndex
        else { return (entry, nil) }
        return (String(entry[..<at]), String(entry[entry.index(after: at)...]))
    }
}
