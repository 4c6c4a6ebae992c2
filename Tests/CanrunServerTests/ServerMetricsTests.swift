import CanrunCore
import CanrunServer
import Foundation
import Prometheus
import Testing

/// `GET /metrics` through a Prometheus registry of the test's own (the process-wide metrics
/// system is the daemon's to bootstrap).
struct ServerMetricsTests {
    static func dispatcher(_ registry: PrometheusCollectorRegistry, models: [String] = []) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil,
            metrics: ServerMetrics(registry: registry),
            exposition: { registry.emitToBuffer() },
            metricsModels: models
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
        let d = try Self.dispatcher(registry, models: models)
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

    /// Every metric family canrund exposes (requests, latency, facts, fit gauges) as a scraper
    /// sees it: one `# HELP` and one `# TYPE` line before its samples, in the units its name
    /// says, and each family's label names the same on every sample.
    static func fullExposition() async throws -> String {
        let registry = PrometheusCollectorRegistry()
        let d = try Self.dispatcher(registry, models: ["llama-3.1-8b@Q4_K_M", "qwen3-30b-a3b"])
        // A watched server's model with every figure known (what canrund's pollers publish).
        var watched = Observation(model: "/models/llama-3.1-8b-Q4_K_M.gguf")
        watched.quant = "Q4_K_M"
        watched.observedDecodeTokensPerS = 40
        watched.predictedDecodeTokensPerS = 50
        watched.observedPrefillTokensPerS = 400
        watched.predictedPrefillTokensPerS = 500
        watched.observedMemoryBytes = 5 << 30
        watched.predictedMemoryBytes = 6 << 30
        watched.compare()
        d.publish([
            ServerObservations(
                server: "chat",
                kind: .llamaServer,
                endpoint: "http://127.0.0.1:8080",
                polledAt: Date(),
                models: [watched]
            )
        ])
        _ = await d.respond(method: .GET, target: "/v1/health", bodyBytes: 0, peer: nil)
        _ = await d.respond(method: .GET, target: "/v1/fit?model=nope", bodyBytes: 0, peer: nil)
        _ = await d.respond(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil)
        return ServerFixtures.text(await d.respond(method: .GET, target: "/metrics", bodyBytes: 0, peer: nil))
    }

    /// A watched server's model: labelled by its file name without the folder, its
    /// quantization and the server; observed 40 t/s against 50 predicted is 0.8.
    @Test func watchedModelsAreGauges() async throws {
        let text = try await Self.fullExposition()
        let labels = "{model=\"llama-3.1-8b-Q4_K_M.gguf\",quant=\"Q4_K_M\",server=\"chat\"}"
        #expect(text.contains("canrun_observed_decode_tokens_per_second\(labels) 40.0"), "\(text)")
        #expect(text.contains("canrun_predicted_decode_tokens_per_second\(labels) 50.0"))
        #expect(text.contains("canrun_observed_over_predicted_decode\(labels) 0.8"))
        #expect(text.contains("canrun_observed_over_predicted_prefill\(labels) 0.8"))
        #expect(text.contains("canrun_observed_model_memory_bytes\(labels) 5368709120"))
    }

    /// A model the server no longer has loaded loses its series: its last values would
    /// otherwise stay, and a ratio alert fire for a model that is gone.
    @Test func anUnloadedModelLosesItsSeries() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(registry: registry)
        var model = Observation(model: "qwen3:8b")
        model.quant = "Q4_K_M"
        model.observedMemoryBytes = 6 << 30
        metrics.recordObservations([
            .init(server: "ollama", kind: .ollama, endpoint: "x", polledAt: Date(), models: [model])
        ])
        let series = "canrun_observed_model_memory_bytes{model=\"qwen3:8b\",quant=\"Q4_K_M\",server=\"ollama\"}"
        #expect(String(decoding: registry.emitToBuffer(), as: UTF8.self).contains(series))
        metrics.recordObservations([.init(server: "ollama", kind: .ollama, endpoint: "x", polledAt: Date())])
        #expect(!String(decoding: registry.emitToBuffer(), as: UTF8.self).contains(series))
    }

    @Test func everyFamilyHasHelpTypeAndOneLabelSet() async throws {
        let lines = try await Self.fullExposition().split(separator: "\n").map(String.init)
        var help: [String: String] = [:]
        var type: [String: String] = [:]
        var labelNames: [String: Set<[String]>] = [:]
        for line in lines {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# HELP ") {
                #expect(help[words[2]] == nil, "two HELP lines for \(words[2])")
                help[words[2]] = words.count > 3 ? words[3] : ""
            } else if line.hasPrefix("# TYPE ") {
                type[words[2]] = words[3]
            } else if !line.hasPrefix("#") {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = ["_bucket", "_sum", "_count"].reduce(name) { n, suffix in
                    type[n] == nil && n.hasSuffix(suffix) ? String(n.dropLast(suffix.count)) : n
                }
                #expect(type[family] != nil, "\(name) has no TYPE line before it")
                #expect(help[family]?.isEmpty == false, "\(name) has no HELP line before it")
                let labels = line.drop { $0 != "{" }.prefix { $0 != "}" }.split(separator: ",").map {
                    String($0.drop { $0 == "{" }.prefix { $0 != "=" })
                }.filter { $0 != "le" }
                labelNames[family, default: []].insert(labels)
            }
        }
        // Every metric ServerMetrics documents is exposed, and nothing undocumented is (the
        // fixture machine has no GPU, so no GPU memory).
        #expect(Set(type.keys) == Set(ServerMetrics.help.keys).subtracting(["canrun_gpu_memory_bytes"]))
        #expect(type["canrun_requests_total"] == "counter")
        #expect(type["canrun_request_duration_seconds"] == "histogram")
        #expect(type["canrun_model_fits"] == "gauge")
        for (family, sets) in labelNames { #expect(sets.count == 1, "\(family) has label sets \(sets)") }
    }

    /// Prometheus's own linter (Debian's `prometheus` package; CI installs it and sets
    /// CANRUN_REQUIRE_PROMETHEUS=1) finds nothing to say.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func promtoolFindsNothingToLint() async throws {
        let text = try await Self.fullExposition()
        let checked = try ServerFixtures.run("/usr/bin/promtool", ["check", "metrics"], input: text)
        let said = checked.output + checked.errors
        #expect(checked.status == 0, "\(said)")
        #expect(said.isEmpty, "\(said)")
    }

    /// The scrape configuration and alerting rules shipped in config/prometheus load in
    /// Prometheus's checker (the config names the rules file, so both are checked).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool")))
    func shippedPrometheusFilesAreValid() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = ["check", "config", ServerFixtures.repository + "/config/prometheus/prometheus.yml"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        #expect(said.contains("SUCCESS: 2 rules found"), "\(said)")
    }

    @Test func promtoolIsHereWhereRequired() {
        if ProcessInfo.processInfo.environment["CANRUN_REQUIRE_PROMETHEUS"] == "1" {
            #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"))
            #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus"))
        }
    }
}
