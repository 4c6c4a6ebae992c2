import CanrunClient
import CanrunCore
import CanrunProbe
import Foundation
import Testing

@testable import CanrunServer

/// Watching model servers (issue 14 §3) from their recorded answers (Tests/Fixtures/observe,
/// sources in its README): each server's reading, the rates between two polls, canrun's
/// prediction beside them, and every way a server's answer can be unusable.
struct ServerObservationTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: ServerFixtures.repository + "/Tests/Fixtures/observe/" + name)))
    }

    static func text(_ name: String) throws -> String { String(decoding: try fixture(name), as: UTF8.self) }

    /// The recorded llama-server: one model, its file, Q4_0, 2,048 tokens per slot, 4 slots, and
    /// the counters after one completion (50 prompt tokens in 0.996632 s, 24 generated in
    /// 2.90199 s).
    @Test func llamaServerIsReadFromItsMetricsAndProps() throws {
        let reading = try ServerReading.llamaServer(
            metrics: try Self.text("llama-server-metrics.txt"),
            props: Data(try Self.fixture("llama-server-props.json"))
        )
        let model = try #require(reading.models.first)
        #expect(reading.models.count == 1)
        #expect(model.file == "/root/.cache/canrun/calibration/canrun-calibration-q4_0.gguf")
        #expect(model.quant == "Q4_0")
        #expect(model.context == 2048)
        #expect(model.parallel == 4)
        #expect(
            model.counters
                == .init(promptTokens: 50, promptSeconds: 0.996632, generatedTokens: 24, generatedSeconds: 2.90199)
        )
    }

    @Test func ollamaIsReadFromItsRunningModels() throws {
        let now = try #require(try ServerReading.ollama(ps: Data(try Self.fixture("ollama-api-ps.json"))).models.first)
        #expect(now.name == "gemma4")
        #expect(now.quant == "Q4_K_M")
        #expect(now.context == 4096)
        #expect(now.memoryBytes == 6_591_830_464)
        #expect(now.gpuMemoryBytes == 5_333_539_264)
        #expect(now.counters == nil)
        let before = try ServerReading.ollama(ps: Data(try Self.fixture("ollama-api-ps-2024.json")))
        #expect(before.models.map(\.name) == ["mistral:latest"])
        #expect(before.models.first?.context == nil)
    }

    /// A server's numbers reach the fit engine only within its bounds: an absurd context, a
    /// negative size or an empty name is dropped, not answered (nor trapped on).
    @Test func hostileServerValuesAreDropped() throws {
        let ps = #"""
            {"models": [
              {"name": "llama3.1:8b", "size": -5, "size_vram": 9223372036854775807, "context_length": 9223372036854775807,
               "details": {"quantization_level": "Q4_K_M"}},
              {"name": "", "size": 1}
            ]}
            """#
        let models = try ServerReading.ollama(ps: Data(ps.utf8)).models
        #expect(models.count == 1)
        #expect(models.first?.context == nil)
        #expect(models.first?.memoryBytes == nil)
        #expect(models.first?.gpuMemoryBytes == nil)
        #expect(models.first?.quant == "Q4_K_M")
        var observer = ServerObserver(
            target: ObserveTarget(kind: .ollama, endpoint: try #require(.init("http://127.0.0.1:11434")))
        )
        let answer = observer.poll(at: Date(), snapshot: try ServerFixtures.snapshot()) { _ in Array(ps.utf8) }
        #expect(answer.models.first?.answeredAs == "llama-3.1-8b")
        #expect(answer.models.first?.predictedMemoryBytes != nil)
    }

    /// 3,000 prompt tokens in 0.6 s of prefill and 995 intervals in 19.9 s between the polls.
    @Test func vllmRatesComeFromTwoPolls() throws {
        let before = try ServerReading.vllm(metrics: try Self.text("vllm-metrics-before.txt"))
        let after = try ServerReading.vllm(metrics: try Self.text("vllm-metrics-after.txt"))
        #expect(after.models.map(\.name) == ["Qwen/Qwen3-8B"])
        let rates = ObservedRates.between(
            try #require(before.models.first?.counters),
            try #require(after.models.first?.counters)
        )
        #expect(rates.decode == 50)
        #expect(rates.prefill == 5000)
        // Nothing new, or a restarted server's counters going back, is no rate.
        let same = try #require(after.models.first?.counters)
        #expect(ObservedRates.between(same, same).decode == nil)
        #expect(ObservedRates.between(same, try #require(before.models.first?.counters)).decode == nil)
    }

    @Test(arguments: [
        ("llama-server", "# no samples\n", "start llama-server with --metrics"),
        ("llama-server-props", "<html>", "names no model_path"),
        ("ollama", "{\"error\": \"unauthorized\"}", "not Ollama's list of running models"),
        ("vllm", "llamacpp:prompt_tokens_total 3\n", "no vllm: samples"),
    ])
    func answersOfAnotherKindAreSaidSo(_ which: String, _ body: String, _ expected: String) throws {
        do {
            switch which {
            case "llama-server":
                _ = try ServerReading.llamaServer(
                    metrics: body,
                    props: Data(try Self.fixture("llama-server-props.json"))
                )
            case "llama-server-props":
                _ = try ServerReading.llamaServer(
                    metrics: try Self.text("llama-server-metrics.txt"),
                    props: Data(body.utf8)
                )
            case "ollama": _ = try ServerReading.ollama(ps: Data(body.utf8))
            default: _ = try ServerReading.vllm(metrics: body)
            }
            Issue.record("\(which) read \(body)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    /// Escaped label values, `+Inf`, comments and a malformed line: one odd line loses one sample.
    @Test func prometheusTextKeepsWhatItCanRead() {
        let samples = PrometheusText.samples(
            """
            # HELP x a metric
            a_total{path="/v1/\\"fit\\"",code="200"} 3
            b 1.5e3 1700000000000
            c{le="+Inf"} +Inf
            d{broken="x} 2
            e NaN
            """
        )
        #expect(
            samples == [
                .init(name: "a_total", labels: ["path": "/v1/\"fit\"", "code": "200"], value: 3),
                .init(name: "b", value: 1500),
            ]
        )
    }

    /// Two polls of the recorded vLLM answers through the observer: the rates of the second,
    /// and no speed prediction (vLLM's kernels are not llama.cpp's).
    @Test func theObserverTurnsPollsIntoObservations() throws {
        let target = ObserveTarget(kind: .vllm, endpoint: try #require(.init("http://127.0.0.1:8000")), name: "vllm")
        var observer = ServerObserver(target: target)
        let snapshot = try ServerFixtures.snapshot()
        let first = observer.poll(at: Date(timeIntervalSince1970: 0), snapshot: snapshot) { _ in
            try Self.fixture("vllm-metrics-before.txt")
        }
        #expect(first.models.first?.observedDecodeTokensPerS == nil)
        let second = observer.poll(at: Date(timeIntervalSince1970: 15), snapshot: snapshot) { _ in
            try Self.fixture("vllm-metrics-after.txt")
        }
        let model = try #require(second.models.first)
        #expect(model.observedDecodeTokensPerS == 50)
        #expect(model.observedPrefillTokensPerS == 5000)
        #expect(model.observedAt == Date(timeIntervalSince1970: 15))
        #expect(model.predictedDecodeTokensPerS == nil)
        #expect(model.note?.contains("vLLM runs its own kernels") == true)
        // A poll that fails keeps what was seen and says why.
        struct Refused: Error, CustomStringConvertible { var description = "cannot connect to 127.0.0.1:8000" }
        let failed = observer.poll(at: Date(timeIntervalSince1970: 30), snapshot: snapshot) { _ in throw Refused() }
        #expect(failed.problem == "cannot connect to 127.0.0.1:8000")
        #expect(failed.models == second.models)
    }

    /// Ollama's 2024 example through the observer: mistral:latest is the catalog's
    /// mistral-7b-v0.3 at the Q4_0 Ollama reports, with canrun's memory and speed beside Ollama's
    /// 5,137,025,024 bytes; a model canrun does not know is said so.
    @Test func ollamaModelsAreAnsweredFromTheCatalog() throws {
        let target = ObserveTarget(kind: .ollama, endpoint: try #require(.init("http://127.0.0.1:11434")))
        var observer = ServerObserver(target: target)
        let snapshot = try ServerFixtures.snapshot()
        let known = observer.poll(at: Date(), snapshot: snapshot) { _ in try Self.fixture("ollama-api-ps-2024.json") }
        let mistral = try #require(known.models.first)
        #expect(known.server == "ollama http://127.0.0.1:11434")
        #expect(mistral.answeredAs == "mistral-7b-v0.3")
        #expect(mistral.quant == "Q4_0")
        #expect(mistral.observedMemoryBytes == 5_137_025_024)
        // canrun's own answer for that question on this machine, through the same advisor.
        let advisor = snapshot.advisor
        let report = try advisor.report(
            try advisor.model("mistral-7b-v0.3"),
            FitQuestion(quant: "Q4_0"),
            machine: snapshot.machine
        )
        #expect(mistral.predictedMemoryBytes == report.memory.totalBytes)
        #expect(mistral.predictedDecodeTokensPerS == report.decodeTokensPerS)
        #expect(mistral.decodeRatio == nil)
        let unknown = observer.poll(at: Date(), snapshot: snapshot) { _ in try Self.fixture("ollama-api-ps.json") }
        #expect(unknown.models.first?.answeredAs == nil)
        #expect(unknown.models.first?.note?.contains("gemma4") == true)
    }

    @Test func chunkedAndSizedBodiesAreRead() throws {
        let chunked = Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6; x=y\r\n world\r\n0\r\n\r\n".utf8
        )
        #expect(try LoopbackHTTP.parse(chunked).body == Array("hello world".utf8))
        let sized = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoEXTRA".utf8)
        #expect(try LoopbackHTTP.parse(sized).status == 404)
        #expect(try LoopbackHTTP.parse(sized).body == Array("no".utf8))
        #expect(throws: LoopbackHTTP.Failure.self) {
            try LoopbackHTTP.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort".utf8))
        }
        #expect(throws: LoopbackHTTP.Failure.self) {
            try LoopbackHTTP.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8))
        }
    }

    /// `[[observe]]`: loopback and Unix sockets only, a known kind, an interval in range; the
    /// effective configuration shows the list and reads back the same.
    @Test func observeTargetsAreConfigured() throws {
        let loaded = try DaemonConfig.merged([
            (
                "/x.toml",
                """
                [[observe]]
                kind = "llama-server"
                url = "http://127.0.0.1:8080"
                name = "chat"

                [[observe]]
                kind = "ollama"
                url = "unix:/run/ollama.sock"
                interval_seconds = 60
                """
            )
        ])
        #expect(loaded.config.observe.map(\.name) == ["chat", "ollama unix:/run/ollama.sock"])
        #expect(loaded.config.observe.map(\.intervalSeconds) == [15, 60])
        #expect(try DaemonConfig.merged([("/y.toml", loaded.config.toml)]).config == loaded.config)
        for (text, expected) in [
            ("kind = \"llama-server\"\nurl = \"http://10.0.0.5:8080\"", "must be a server on this machine"),
            ("kind = \"tgi\"\nurl = \"http://127.0.0.1:8080\"", "kind must be one of llama-server, ollama, vllm"),
            ("kind = \"vllm\"\nurl = \"http://127.0.0.1:8000/v1\"", "must be a server on this machine"),
            ("kind = \"vllm\"\nurl = \"http://127.0.0.1:8000\"\ninterval_seconds = 1", "interval_seconds must be"),
            ("kind = \"vllm\"\nurl = \"http://127.0.0.1:8000\"\nname = \"a\\nb\"", "no control characters"),
            (
                "kind = \"ollama\"\nurl = \"unix:/" + String(repeating: "é", count: 60) + "\"",
                "must be a server on this machine"
            ),
            (
                "kind = \"vllm\"\nurl = \"http://127.0.0.1:8000\"\n[[observe]]\nkind = \"vllm\"\nurl = \"http://127.0.0.1:8001\"\nname = \"vllm http://127.0.0.1:8000\"",
                "two [[observe]] tables are named"
            ),
        ] {
            #expect(throws: DaemonConfig.ConfigError.self, "\(text)") {
                try DaemonConfig.merged([("/z.toml", "[[observe]]\n" + text + "\n")])
            }
            do {
                _ = try DaemonConfig.merged([("/z.toml", "[[observe]]\n" + text + "\n")])
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }
}

/// canrund watching a real llama-server (scripts/build-llama-cpp.sh's, required in CI) on a Unix
/// socket: after a completion, `/v1/observations` and `/metrics` have the observed decode and
/// prompt speeds beside canrun's prediction for the file llama-server serves.
struct LiveServerObservationTests {
    @Test(.enabled(if: ServerFixtures.canrundBuilt && CalibrateCommandTests.runnable), .timeLimit(.minutes(3)))
    func canrundWatchesARealLlamaServer() throws {
        let bench = try #require(VerifyCommandTests.bench)
        let server = URL(fileURLWithPath: bench).deletingLastPathComponent().appendingPathComponent("llama-server").path
        try #require(FileManager.default.isExecutableFile(atPath: server))
        let model = try CalibrationStore.syntheticFile(
            MachineCalibration.model(family: "Q4_0", quick: true),
            quants: try ServerFixtures.snapshot().engine.quants,
            in: NSTemporaryDirectory() + "canrun-observe-models"
        )
        try DaemonCalibrationTests.withDaemon(config: "") { folder, client in
            let socket = folder + "/llama.sock"
            let llama = Process()
            llama.executableURL = URL(fileURLWithPath: server)
            llama.arguments = ["-m", model, "--host", socket, "--metrics", "-c", "1024", "-t", "2", "-np", "1"]
            llama.standardOutput = FileHandle.nullDevice
            llama.standardError = FileHandle.nullDevice
            try llama.run()
            defer {
                // llama-server on a Unix socket ignores SIGTERM and SIGINT (0c1e57098): killed.
                kill(llama.processIdentifier, SIGKILL)
                llama.waitUntilExit()
            }
            let address = LoopbackHTTP.Address.unix(path: socket)
            for _ in 0..<300 where (try? LoopbackHTTP.get(address, "/health")) == nil {
                Thread.sleep(forTimeInterval: 0.1)
            }
            try DaemonCalibrationTests.measured(folder, client)
            try """
            [benchmark]
            on_start = false

            [[observe]]
            kind = "llama-server"
            url = "unix:\(socket)"
            name = "test"
            interval_seconds = 5
            """.write(toFile: folder + "/canrun.toml", atomically: true, encoding: .utf8)
            #expect(client.request("POST", "/v1/admin/reload")?.status == 200)
            Thread.sleep(forTimeInterval: 2)
            _ = try LoopbackHTTP.request(
                address,
                "POST",
                "/completion",
                body: Array(#"{"prompt": "Once upon a time there was a model that", "n_predict": 16}"#.utf8),
                timeoutSeconds: 60
            )
            var observation: [String: Any] = [:]
            for _ in 0..<60 {
                let servers =
                    try JSONSerialization.jsonObject(
                        with: Data(try #require(client.get("/v1/observations")).body)
                    ) as? [[String: Any]]
                observation = (servers?.first?["models"] as? [[String: Any]])?.first ?? [:]
                if observation["observed_decode_tokens_per_s"] as? Double != nil { break }
                Thread.sleep(forTimeInterval: 0.5)
            }
            #expect(observation["answered_as"] as? String == model, "\(observation)")
            #expect(observation["quant"] as? String == "Q4_0")
            #expect(observation["context_tokens"] as? Int == 1024)
            let observed = try #require(observation["observed_decode_tokens_per_s"] as? Double, "\(observation)")
            let predicted = try #require(observation["predicted_decode_tokens_per_s"] as? Double, "\(observation)")
            #expect(observed > 0 && predicted > 0)
            let ratio = try #require(observation["decode_ratio"] as? Double)
            #expect(abs(ratio - observed / predicted) < 0.001)
            #expect(observation["observed_prefill_tokens_per_s"] as? Double ?? 0 > 0)
            let metrics = String(decoding: try #require(client.get("/metrics")).body, as: UTF8.self)
            #expect(
                metrics.contains(
                    "canrun_observed_decode_tokens_per_second{model=\"canrun-calibration-quick-q4_0.gguf\",quant=\"Q4_0\",server=\"test\"}"
                ),
                "\(metrics)"
            )
        }
    }
}
