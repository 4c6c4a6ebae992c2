import Foundation

/// canrund's configuration (`config/canrun.toml` documents every key): the base file and its
/// drop-ins merged in order, later values winning key by key. A value of the wrong type or out of
/// range rejects the whole configuration (a reload keeps the old one); an unknown key is a
/// warning, so a newer file still loads.
public struct DaemonConfig: Sendable, Equatable {
    public var limits = ServerLimits()
    /// Measure the bandwidth at start when no cached measurement exists.
    public var benchmarkOnStart = true
    /// swift-log level name: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// A loopback TCP listener beside the socket (`127.0.0.1:9105`, `[::1]:9105`), for scrapers
    /// that cannot reach a Unix socket; nil (the default): none. Admin routes are never served
    /// on it (a TCP peer has no credentials to check).
    public var tcp: LoopbackAddress?
    /// The models `/metrics` answers fit gauges for (`[metrics] models`): `MODEL` (at canrun's
    /// choice of quantization, labelled `quant="auto"`) or `MODEL@QUANT`, at most
    /// `maxMetricsModels`, each a name `canrun fit` takes.
    public var metricsModels: [String] = []
    /// Where canrund keeps a Node Feature Discovery feature file of this node's labels
    /// (`[kubernetes] nfd_feature_file`, an absolute path; `NodeFeatureLabels`); nil: none.
    public var nfdFeatureFile: String?
    /// The llama-bench canrund calibrates with (`[llama_cpp] bench`, an absolute path); nil:
    /// `CANRUN_LLAMA_BENCH`, then `PATH`, then scripts/build-llama-cpp.sh's cache.
    public var llamaBench: String?
    /// Calibrate when there is no usable calibration of this hardware, or it is stale, once the
    /// machine is idle (`[calibration] when_idle`; off by default: it runs llama-bench for
    /// minutes).
    public var calibrateWhenIdle = false
    /// The model servers canrund watches (`[[observe]]`), at most `maxObserveTargets`.
    public var observe: [ObserveTarget] = []

    /// Every scrape fits each listed model: a fleet's handful, not the catalog.
    public static let maxMetricsModels = 32

    /// A host and port on the loopback interface.
    public struct LoopbackAddress: Sendable, Equatable {
        public var host: String
        public var port: Int

        /// Parses `HOST:PORT` or `[V6]:PORT`; nil unless the host is loopback (127.0.0.0/8, ::1,
        /// localhost) and the port is 1...65535.
        public init?(_ text: String) {
            let host: Substring
            let port: Substring
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                host = text[text.index(after: text.startIndex)..<close]
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            } else {
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2 else { return nil }
                (host, port) = (parts[0], parts[1])
            }
            guard let number = Int(port), (1...65535).contains(number) else { return nil }
            let octets = host.split(separator: ".", omittingEmptySubsequences: false)
            let loopbackV4 =
                octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
            guard loopbackV4 || host == "::1" || host == "localhost" else { return nil }
            self.host = String(host)
            self.port = number
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public init() {}

    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }

        public init(file: String, message: String) {
            self.file = file
            self.message = message
        }
    }

    /// What a merge produced: the configuration, the files it read, and warnings (unknown keys).
    public struct Loaded: Sendable, Equatable {
        public var config: DaemonConfig
        public var files: [String]
        public var warnings: [String]
    }

    /// The range of each numeric `[server]` key: generous for any machine, but no value that
    /// disables a limit (a timeout of Int64.max) or that the daemon cannot honour.
    public static let ranges: [String: ClosedRange<Int>] = [
        "max_connections": 1...65536,
        "max_connections_per_peer": 1...65536,
        "admin_reserved_connections": 0...65535,
        "max_body_bytes": 1...(64 << 20),
        "max_header_bytes": 256...(1 << 20),
        "request_timeout_seconds": 1...3600,
        "idle_timeout_seconds": 1...86400,
        "max_computations": 1...4096,
        "compute_timeout_seconds": 1...3600,
    ]

    /// Merges `files` (path, text) in order onto the defaults. The connection share and reserve
    /// follow `max_connections` (a quarter and a sixteenth of it) unless set.
    public static func merged(_ files: [(path: String, text: String)]) throws -> Loaded {
        var config = DaemonConfig()
        var warnings: [String] = []
        var set: [String: (value: Int, file: String)] = [:]
        for file in files {
            let table: [String: Any]
            do {
                table = try TOMLDocument.object(file.text)
            } catch {
                throw ConfigError(file: file.path, message: "not valid TOML: \(error)")
            }
            try config.apply(table, file: file.path, warnings: &warnings, numbers: &set)
        }
        try config.settle(set)
        return Loaded(config: config, files: files.map(\.path), warnings: warnings)
    }

    /// The `[server]` numbers as set (or defaulted) and checked against each other.
    private mutating func settle(_ set: [String: (value: Int, file: String)]) throws {
        var l = limits
        func value(_ key: String, _ fallback: Int) -> Int { set[key]?.value ?? fallback }
        l.maxConnections = value("max_connections", l.maxConnections)
        l.maxConnectionsPerPeer = value("max_connections_per_peer", max(1, l.maxConnections / 4))
        l.adminReservedConnections = value("admin_reserved_connections", l.maxConnections / 16)
        l.maxBodyBytes = value("max_body_bytes", l.maxBodyBytes)
        l.maxHeaderBytes = value("max_header_bytes", l.maxHeaderBytes)
        l.requestTimeoutSeconds = Int64(value("request_timeout_seconds", Int(l.requestTimeoutSeconds)))
        l.idleTimeoutSeconds = Int64(value("idle_timeout_seconds", Int(l.idleTimeoutSeconds)))
        l.maxComputations = value("max_computations", l.maxComputations)
        l.computeTimeoutSeconds = Int64(value("compute_timeout_seconds", Int(l.computeTimeoutSeconds)))
        func refuse(_ key: String, _ message: String) -> ConfigError {
            ConfigError(file: set[key]?.file ?? "the configuration", message: "server.\(key) \(message)")
        }
        if l.maxConnectionsPerPeer > l.maxConnections {
            throw refuse(
                "max_connections_per_peer",
                "\(l.maxConnectionsPerPeer) is more than server.max_connections \(l.maxConnections)"
            )
        }
        if l.adminReservedConnections >= l.maxConnections {
            throw refuse(
                "admin_reserved_connections",
                "\(l.adminReservedConnections) leaves no connection of server.max_connections \(l.maxConnections) to other users"
            )
        }
        if l.computeTimeoutSeconds >= l.requestTimeoutSeconds {
            throw refuse(
                "compute_timeout_seconds",
                "\(l.computeTimeoutSeconds) must be less than server.request_timeout_seconds \(l.requestTimeoutSeconds), or answers are cut off"
            )
        }
        limits = l
    }

    private mutating func apply(
        _ table: [String: Any],
        file: String,
        warnings: inout [String],
        numbers: inout [String: (value: Int, file: String)]
    ) throws {
        // A value as the file wrote it, for messages.
        func shown(_ value: Any) -> String {
            if let flag = TOMLDocument.boolean(value) { return "\(flag)" }
            if let text = value as? String { return "\"\(text)\"" }
            return "\(value)"
        }
        for (section, value) in table.sorted(by: { $0.key < $1.key }) {
            if section == "observe" {
                observe = try Self.observeTargets(value, file: file, warnings: &warnings)
                continue
            }
            guard let entries = value as? [String: Any] else {
                warnings.append("\(file): \(section) is not a table of the configuration; ignored")
                continue
            }
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                if section == "server", let range = Self.ranges[key] {
                    guard let n = TOMLDocument.integer(value), range.contains(n) else {
                        throw ConfigError(
                            file: file,
                            message:
                                "server.\(key) must be an integer from \(range.lowerBound) to \(range.upperBound) (got \(shown(value)))"
                        )
                    }
                    numbers[key] = (n, file)
                    continue
                }
                switch (section, key) {
                case ("calibration", "when_idle"), ("benchmark", "on_start"):
                    guard let flag = TOMLDocument.boolean(value) else {
                        throw ConfigError(
                            file: file,
                            message: "\(section).\(key) must be true or false (got \(shown(value)))"
                        )
                    }
                    if section == "benchmark" { benchmarkOnStart = flag } else { calibrateWhenIdle = flag }
                case ("server", "tcp"):
                    guard let text = value as? String else {
                        throw ConfigError(
                            file: file,
                            message: "server.tcp must be a string like \"127.0.0.1:9105\" (got \(shown(value)))"
                        )
                    }
                    guard let address = LoopbackAddress(text) else {
                        throw ConfigError(
                            file: file,
                            message:
                                "server.tcp \(text) is not a loopback HOST:PORT (127.0.0.1:9105 or [::1]:9105); canrund never listens beyond this machine"
                        )
                    }
                    tcp = address
                case ("metrics", "models"):
                    let names = (value as? [Any])?.compactMap { $0 as? String }
                    guard let names, names.count == (value as? [Any])?.count,
                        names.count <= Self.maxMetricsModels,
                        names.allSatisfy({ !$0.isEmpty && $0.count <= ModelCatalog.maxQueryLength })
                    else {
                        throw ConfigError(
                            file: file,
                            message:
                                "metrics.models must be a list of at most \(Self.maxMetricsModels) model names (\"llama-3.3-70b\" or \"llama-3.3-70b@Q4_K_M\", each at most \(ModelCatalog.maxQueryLength) characters) (got \(shown(value)))"
                        )
                    }
                    metricsModels = names
                case ("llama_cpp", "bench"):
                    guard let path = Self.absoluteFile(value) else {
                        throw ConfigError(
                            file: file,
                            message: "llama_cpp.bench must be the absolute path of a llama-bench"
                                + Self.example("/usr/local/bin/llama-bench", got: shown(value))
                        )
                    }
                    llamaBench = path
                case ("kubernetes", "nfd_feature_file"):
                    guard let path = Self.absoluteFile(value) else {
                        throw ConfigError(
                            file: file,
                            message: "kubernetes.nfd_feature_file must be an absolute file path"
                                + Self.example(
                                    "/etc/kubernetes/node-feature-discovery/features.d/canrun",
                                    got: shown(value)
                                )
                        )
                    }
                    nfdFeatureFile = path
                case ("log", "level"):
                    guard let level = value as? String, Self.logLevels.contains(level) else {
                        throw ConfigError(
                            file: file,
                            message:
                                "log.level must be one of \(Self.logLevels.joined(separator: ", ")) (got \(shown(value)))"
                        )
                    }
                    logLevel = level
                default:
                    warnings.append("\(file): unknown key \(section).\(key); ignored")
                }
            }
        }
    }

    /// `value` when it is an absolute path naming a file (not a folder), of a sane length.
    static func absoluteFile(_ value: Any) -> String? {
        guard let path = value as? String, path.hasPrefix("/"), !path.hasSuffix("/"), path.count <= 4096,
            !path.contains("\0")
        else { return nil }
        return path
    }

    /// ", e.g. "PATH" (got VALUE)": the tail of a refused path's message.
    static func example(_ path: String, got: String) -> String { ", e.g. \(quoted(path)) (got \(got))" }

    /// `text` as a TOML basic string.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The effective configuration as TOML, every key present.
    public var toml: String {
        """
        [server]
        max_connections = \(limits.maxConnections)
        max_connections_per_peer = \(limits.maxConnectionsPerPeer)
        admin_reserved_connections = \(limits.adminReservedConnections)
        max_body_bytes = \(limits.maxBodyBytes)
        max_header_bytes = \(limits.maxHeaderBytes)
        request_timeout_seconds = \(limits.requestTimeoutSeconds)
        idle_timeout_seconds = \(limits.idleTimeoutSeconds)
        max_computations = \(limits.maxComputations)
        compute_timeout_seconds = \(limits.computeTimeoutSeconds)
        \(tcp.map { "tcp = \"\($0.description)\"" } ?? "# tcp = \"127.0.0.1:9105\"")

        [benchmark]
        on_start = \(benchmarkOnStart)

        [log]
        level = "\(logLevel)"

        [metrics]
        models = [\(metricsModels.map(Self.quoted).joined(separator: ", "))]

        [calibration]
        when_idle = \(calibrateWhenIdle)

        [llama_cpp]
        \(llamaBench.map { "bench = \(Self.quoted($0))" } ?? "# bench = \"/usr/local/bin/llama-bench\"")

        [kubernetes]
        \(nfdFeatureFile.map { "nfd_feature_file = \(Self.quoted($0))" } ?? "# nfd_feature_file = \"/etc/kubernetes/node-feature-discovery/features.d/canrun\"")

        \(observeTOML)
        """
    }
}
