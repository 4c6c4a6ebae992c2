import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// canrund scraped by the real Prometheus (Debian's `prometheus`; CI installs it and sets
/// CANRUN_REQUIRE_PROMETHEUS=1): canrund with its loopback TCP listener and two configured
/// models, Prometheus with the shipped alerting rules scraping it every second. After two scrapes,
/// Prometheus's HTTP API answers the fit gauges and a PromQL expression over them, and holds
/// the rules. Needs the binaries built (`swift build --build-tests`).
struct PrometheusScrapeTests {
    static let prometheus = "/usr/bin/prometheus"
    static var runnable: Bool {
        ServerFixtures.canrundBuilt && FileManager.default.isExecutableFile(atPath: prometheus)
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `curl -sf URL`'s body, or nil when it fails.
    static func get(_ url: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf", "--max-time", "5", url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let body = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: body, as: UTF8.self) : nil
    }

    /// The samples of a Prometheus instant query: each series' labels and value.
    static func query(_ base: String, _ promQL: String) -> [(labels: [String: String], value: String)] {
        let escaped = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        guard let body = get("\(base)/api/v1/query?query=\(escaped)"),
            let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let data = json["data"] as? [String: Any],
            let result = data["result"] as? [[String: Any]]
        else { return [] }
        return result.compactMap { sample in
            guard let labels = sample["metric"] as? [String: String], let value = sample["value"] as? [Any],
                value.count == 2, let text = value[1] as? String
            else { return nil }
            return (labels, text)
        }
    }

    @Test(.enabled(if: runnable), .timeLimit(.minutes(5)))
    func prometheusScrapesTheFitGauges() throws {
        let folder = NSTemporaryDirectory() + "canrun-prom-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let daemonPort = try Self.freePort()
        let webPort = try Self.freePort()
        try """
        [server]
        tcp = "127.0.0.1:\(daemonPort)"

        [metrics]
        models = ["llama-3.1-8b@Q4_K_M", "qwen3-0.6b", "llama-3.1-405b@Q8_0"]
        """.write(toFile: folder + "/canrun.toml", atomically: true, encoding: .utf8)
        let shipped = ServerFixtures.repository + "/config/prometheus/canrun-alerts.yml"
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: ["\(shipped)"]
        scrape_configs:
          - job_name: canrun
            static_configs:
              - targets: ["127.0.0.1:\(daemonPort)"]
        """.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)

        let daemon = try ServerFixtures.startDaemon(in: folder)
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.prometheus)
        server.arguments = [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/tsdb",
            "--web.listen-address=127.0.0.1:\(webPort)",
        ]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(webPort)"

        // Two scrapes of canrund's /metrics: Prometheus holds two samples of a fit gauge.
        var scrapes = 0.0
        for _ in 0..<240 where scrapes < 2 {
            Thread.sleep(forTimeInterval: 0.5)
            scrapes =
                Self.query(base, #"count_over_time(canrun_model_fits{model="qwen3-0.6b"}[5m])"#).first
                .flatMap { Double($0.value) } ?? 0
        }
        #expect(scrapes >= 2, "Prometheus did not scrape canrund twice")
        #expect(Self.query(base, #"up{job="canrun"}"#).first?.value == "1")

        // The fixture's model and quantization labels, as configured; the 405 B model at 8 bits
        // fits no machine these tests run on.
        let fits = Self.query(base, "canrun_model_fits")
        let byModel = Dictionary(fits.map { ("\($0.labels["model"] ?? "")@\($0.labels["quant"] ?? "")", $0.value) }) {
            a,
            _ in a
        }
        #expect(byModel["llama-3.1-405b@Q8_0"] == "0")
        #expect(byModel["qwen3-0.6b@auto"] == "1")
        #expect(byModel.keys.sorted() == ["llama-3.1-405b@Q8_0", "llama-3.1-8b@Q4_K_M", "qwen3-0.6b@auto"])
        // A fleet query: the configured models this host can run, by name.
        let runnable = Self.query(base, "max by (model) (canrun_model_fits == 1)").compactMap { $0.labels["model"] }
        #expect(runnable.contains("qwen3-0.6b"))
        #expect(!runnable.contains("llama-3.1-405b"))
        #expect(Self.query(base, #"canrun_memory_bytes{kind="total"} > 0"#).count == 1)
        #expect(Self.query(base, "canrun_model_max_context_tokens").count == 3)

        // The shipped rules loaded, and the configured model that cannot fit is pending.
        let rules = Self.get("\(base)/api/v1/rules") ?? ""
        #expect(rules.contains("CanrunMemoryBandwidthDropped"))
        #expect(rules.contains("CanrunModelNoLongerFits"))
        let alerts = Self.get("\(base)/api/v1/alerts") ?? ""
        #expect(alerts.contains("llama-3.1-405b"), "\(alerts)")
    }
}
