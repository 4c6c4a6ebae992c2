import CanrunCore
import CanrunProbe
import CanrunServer
import Foundation
import Testing

/// canrund's configuration: defaults, drop-ins in order, strict values, lenient keys, and the
/// shipped example (config/canrun.toml), which must state every default.
struct DaemonConfigTests {
    @Test func noFilesAreTheDefaults() throws {
        let loaded = try DaemonConfig.merged([])
        #expect(loaded.config == DaemonConfig())
        #expect(loaded.config.limits == ServerLimits())
    }

    @Test func laterFilesWinKeyByKey() throws {
        let loaded = try DaemonConfig.merged([
            (
                "/etc/canrun/canrun.toml",
                "[server]\nmax_connections = 64\nmax_body_bytes = 4096\n[log]\nlevel = \"debug\"\n"
            ),
            (
                "/etc/canrun/canrun.toml.d/50-small.toml",
                "[server]\nmax_connections = 8\n[benchmark]\non_start = false\n"
            ),
        ])
        #expect(loaded.config.limits.maxConnections == 8)
        #expect(loaded.config.limits.maxBodyBytes == 4096)
        #expect(loaded.config.logLevel == "debug")
        #expect(!loaded.config.benchmarkOnStart)
        #expect(loaded.warnings.isEmpty)
    }

    @Test(arguments: [
        ("[server]\nmax_connections = -3\n", "server.max_connections must be an integer from 1 to 65536 (got -3)"),
        (
            "[server]\nidle_timeout_seconds = \"soon\"\n",
            "server.idle_timeout_seconds must be an integer from 1 to 86400"
        ),
        (
            "[server]\nrequest_timeout_seconds = 9223372036854775807\n",
            "server.request_timeout_seconds must be an integer from 1 to 3600 (got 9223372036854775807)"
        ),
        ("[server]\nmax_body_bytes = 0\n", "server.max_body_bytes must be an integer from 1 to 67108864"),
        (
            "[server]\nmax_connections = 8\nmax_connections_per_peer = 9\n",
            "server.max_connections_per_peer 9 is more than"
        ),
        ("[server]\nmax_connections = 8\nadmin_reserved_connections = 8\n", "leaves no connection"),
        ("[server]\ncompute_timeout_seconds = 10\n", "must be less than server.request_timeout_seconds 10"),
        ("[benchmark]\non_start = \"yes\"\n", "benchmark.on_start must be true or false"),
        ("[log]\nlevel = \"loud\"\n", "log.level must be one of"),
        ("[metrics]\nmodels = \"llama-3.1-8b\"\n", "metrics.models must be a list of at most 32 model names"),
        ("[metrics]\nmodels = [\"a\", 3]\n", "metrics.models must be a list"),
        (
            "[metrics]\nmodels = [" + (0..<33).map { "\"m\($0)\"" }.joined(separator: ", ") + "]\n",
            "metrics.models must be a list of at most 32"
        ),
        (
            "[kubernetes]\nnfd_feature_file = \"features.d/canrun\"\n",
            "kubernetes.nfd_feature_file must be an absolute file path"
        ),
        ("[kubernetes]\nnfd_feature_file = 3\n", "kubernetes.nfd_feature_file must be an absolute file path"),
        ("[llama_cpp]\nbench = \"llama-bench\"\n", "llama_cpp.bench must be the absolute path of a llama-bench"),
        ("[calibration]\nwhen_idle = 1\n", "calibration.when_idle must be true or false"),
        ("[llama_cpp]\nbench = \"/opt/llama/bin/\"\n", "llama_cpp.bench must be the absolute path of a llama-bench"),
        ("[server\n", "not valid TOML"),
    ])
    func badValuesRejectTheFileByName(_ text: String, _ expected: String) {
        do {
            _ = try DaemonConfig.merged([("/etc/canrun/canrun.toml.d/90-bad.toml", text)])
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".hasPrefix("/etc/canrun/canrun.toml.d/90-bad.toml: "))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    /// The NFD feature file (issue 16): off unless set, and the effective file shows it.
    @Test func nfdFeatureFileIsReadAndShown() throws {
        let off = try DaemonConfig.merged([])
        #expect(off.config.nfdFeatureFile == nil)
        #expect(off.config.toml.contains("[kubernetes]\n# nfd_feature_file = "))
        let path = "/etc/kubernetes/node-feature-discovery/features.d/canrun"
        let loaded = try DaemonConfig.merged([("/x.toml", "[kubernetes]\nnfd_feature_file = \"\(path)\"\n")])
        #expect(loaded.config.nfdFeatureFile == path)
        #expect(try DaemonConfig.merged([("/y.toml", loaded.config.toml)]).config == loaded.config)
    }

    /// The llama-bench canrund calibrates with (issue 14): the finding rules unless set, and the
    /// effective file shows it.
    @Test func llamaBenchIsReadAndShown() throws {
        let off = try DaemonConfig.merged([])
        #expect(off.config.llamaBench == nil)
        #expect(!off.config.calibrateWhenIdle)
        let idle = try DaemonConfig.merged([("/i.toml", "[calibration]\nwhen_idle = true\n")])
        #expect(idle.config.calibrateWhenIdle)
        #expect(idle.config.toml.contains("[calibration]\nwhen_idle = true"))
        #expect(off.config.toml.contains("[llama_cpp]\n# bench = "))
        let loaded = try DaemonConfig.merged([("/x.toml", "[llama_cpp]\nbench = \"/opt/llama/bin/llama-bench\"\n")])
        #expect(loaded.config.llamaBench == "/opt/llama/bin/llama-bench")
        #expect(try DaemonConfig.merged([("/y.toml", loaded.config.toml)]).config == loaded.config)
    }

    /// The models /metrics gives fit gauges for (issue 16), and the effective file shows them.
    @Test func metricsModelsAreReadAndShown() throws {
        let loaded = try DaemonConfig.merged([
            ("/x.toml", "[metrics]\nmodels = [\"llama-3.3-70b@Q4_K_M\", \"qwen3-30b-a3b\"]\n")
        ])
        #expect(loaded.config.metricsModels == ["llama-3.3-70b@Q4_K_M", "qwen3-30b-a3b"])
        #expect(loaded.config.toml.contains("[metrics]\nmodels = [\"llama-3.3-70b@Q4_K_M\", \"qwen3-30b-a3b\"]"))
        #expect(try DaemonConfig.merged([("/y.toml", loaded.config.toml)]).config == loaded.config)
    }

    /// Unset, the share and the reserve follow max_connections.
    @Test func shareAndReserveFollowTheCap() throws {
        let loaded = try DaemonConfig.merged([("/x.toml", "[server]\nmax_connections = 32\n")])
        #expect(loaded.config.limits.maxConnectionsPerPeer == 8)
        #expect(loaded.config.limits.adminReservedConnections == 2)
    }

    @Test func unknownKeysAreWarnings() throws {
        let loaded = try DaemonConfig.merged([("/x.toml", "[server]\nfuture_key = 1\n[telemetry]\non = true\n")])
        #expect(loaded.warnings.count == 2)
        #expect(loaded.warnings.allSatisfy { $0.contains("ignored") })
    }

    /// Base file from the highest directory, drop-ins by name across directories, a higher
    /// same-named drop-in replacing the lower.
    @Test func filesAreFoundInPrecedenceOrder() throws {
        let root = NSTemporaryDirectory() + "canrun-config-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let vendor = root + "/usr"
        let admin = root + "/etc"
        for dir in [vendor + "/canrun.toml.d", admin + "/canrun.toml.d"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try "[server]\nmax_connections = 1\n".write(toFile: vendor + "/canrun.toml", atomically: true, encoding: .utf8)
        try "[server]\nmax_connections = 2\n".write(toFile: admin + "/canrun.toml", atomically: true, encoding: .utf8)
        try "[server]\nmax_body_bytes = 10\n".write(
            toFile: vendor + "/canrun.toml.d/10-a.toml",
            atomically: true,
            encoding: .utf8
        )
        try "[server]\nmax_body_bytes = 20\n".write(
            toFile: vendor + "/canrun.toml.d/20-b.toml",
            atomically: true,
            encoding: .utf8
        )
        try "".write(toFile: admin + "/canrun.toml.d/20-b.toml", atomically: true, encoding: .utf8)
        let loaded = try ConfigFiles.load(directories: [vendor, admin])
        #expect(
            loaded.files == [
                admin + "/canrun.toml", vendor + "/canrun.toml.d/10-a.toml", admin + "/canrun.toml.d/20-b.toml",
            ]
        )
        #expect(loaded.config.limits.maxConnections == 2)
        #expect(loaded.config.limits.maxBodyBytes == 10)
    }

    @Test func theShippedExampleStatesEveryDefault() throws {
        let text = try String(contentsOfFile: ServerFixtures.repository + "/config/canrun.toml", encoding: .utf8)
        let loaded = try DaemonConfig.merged([("config/canrun.toml", text)])
        #expect(loaded.config == DaemonConfig())
        #expect(loaded.warnings.isEmpty)
        for line in DaemonConfig().toml.split(separator: "\n") where line.contains("=") {
            #expect(text.contains(line), "config/canrun.toml lacks \(line)")
        }
    }

    @Test func directoriesFollowTheOptionThenSystemd() {
        #expect(ConfigFiles.directories(option: "/tmp/c", environment: [:]) == ["/tmp/c"])
        #expect(
            ConfigFiles.directories(option: nil, environment: ["CONFIGURATION_DIRECTORY": "/etc/canrun"])
                == ["/usr/lib/canrun", "/etc/canrun"]
        )
        #expect(ConfigFiles.directories(option: nil, environment: [:]) == ["/usr/lib/canrun", "/etc/canrun"])
    }
}

/// The daemon's start with a state directory whose cache is corrupt: it starts, says why the
/// cache was not used, and plans a fresh measurement.
struct DaemonStateTests {
    @Test func aCorruptCacheIsSurvived() throws {
        let state = NSTemporaryDirectory() + "canrun-state-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: state) }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try Data("{ \"schema_version\": 1, truncated".utf8).write(to: URL(fileURLWithPath: state + "/bandwidth.json"))
        var environment = ServerFixtures.environment
        environment["STATE_DIRECTORY"] = state
        let (snapshot, miss, _) = try DaemonState.load(environment: environment)
        #expect(snapshot.benchmark == .pending)
        #expect(snapshot.machine.bandwidth == nil)
        #expect(miss?.contains("corrupt") == true)
    }
}

/// `server.tcp`: loopback only, whatever the file says.
struct LoopbackAddressTests {
    @Test(arguments: ["127.0.0.1:9105", "127.1.2.3:80", "[::1]:9105", "localhost:9105"])
    func loopbackIsAccepted(_ text: String) throws {
        let loaded = try DaemonConfig.merged([("/x.toml", "[server]\ntcp = \"\(text)\"\n")])
        #expect(loaded.config.tcp != nil)
    }

    @Test(arguments: [
        "0.0.0.0:9105", "192.168.1.5:9105", "[::]:9105", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
        "example.com:80",
    ])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: DaemonConfig.ConfigError.self) {
            try DaemonConfig.merged([("/x.toml", "[server]\ntcp = \"\(text)\"\n")])
        }
    }

    /// Over TCP the read routes answer and the admin routes are refused: no peer credentials.
    @Test func tcpServesReadsButNeverAdmin() async throws {
        let dispatcher = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: getuid(),
            limits: ServerLimits(),
            rebenchmark: { _ in .init(report: ServerFixtures.bandwidth, cache: .saved) }
        )
        let server = UnixHTTPServer(dispatcher: dispatcher)
        let bound = try await server.bind(.tcp(host: "127.0.0.1", port: 0))
        let port = try #require(bound.port)
        let task = Task { try await server.serve(bound) }
        defer { task.cancel() }
        let health = await Self.curl(["http://127.0.0.1:\(port)/v1/health"])
        #expect(health == "200")
        let admin = await Self.curl(["-X", "POST", "http://127.0.0.1:\(port)/v1/bandwidth"])
        #expect(admin == "403")
    }

    static func curl(_ arguments: [String]) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                process.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments
                let output = Pipe()
                process.standardOutput = output
                guard (try? process.run()) != nil else { return continuation.resume(returning: "no curl") }
                process.waitUntilExit()
                continuation.resume(
                    returning: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                )
            }
        }
    }
}
