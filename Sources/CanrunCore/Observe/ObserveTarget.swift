/// A model server on this machine canrund watches (`[[observe]]` in canrun.toml): which kind
/// it is, where it answers (loopback TCP or a Unix socket, never another host), and the name its
/// observations carry.
public struct ObserveTarget: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// llama.cpp's `llama-server` started with `--metrics`: `/metrics` and `/props`.
        case llamaServer = "llama-server"
        /// Ollama: `/api/ps` (the models loaded and their memory; Ollama exposes no counters).
        case ollama
        /// vLLM's OpenAI server: `/metrics`.
        case vllm
    }

    /// Where a server answers.
    public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        case tcp(DaemonConfig.LoopbackAddress)
        case unix(path: String)

        /// `http://127.0.0.1:8080` (or `[::1]`, `localhost`) and `unix:/run/x.sock`; nil for any
        /// other host, scheme or a path after the port.
        public init?(_ url: String) {
            if url.hasPrefix("unix:/") {
                let path = String(url.dropFirst("unix:".count))
                // sun_path holds 108 bytes with the terminating NUL.
                guard path.utf8.count <= 107, !path.contains("\0"), !path.hasSuffix("/") else { return nil }
                self = .unix(path: path)
                return
            }
            guard url.hasPrefix("http://") else { return nil }
            var rest = url.dropFirst("http://".count)
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            guard !rest.contains("/"), let address = DaemonConfig.LoopbackAddress(String(rest)) else { return nil }
            self = .tcp(address)
        }

        public var description: String {
            switch self {
            case .tcp(let address): "http://\(address.description)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    public var kind: Kind
    public var endpoint: Endpoint
    /// The `server` label: the configured name, else the kind and the endpoint.
    public var name: String
    /// Seconds between polls.
    public var intervalSeconds: Int

    /// Polls 5 s to an hour apart; 15 s unless configured.
    public static let intervals = 5...3600
    public static let defaultInterval = 15

    public init(kind: Kind, endpoint: Endpoint, name: String? = nil, intervalSeconds: Int = defaultInterval) {
        self.kind = kind
        self.endpoint = endpoint
        self.name = name ?? "\(kind.rawValue) \(endpoint)"
        self.intervalSeconds = intervalSeconds
    }

    /// The paths a poll reads, in order.
    public var paths: [String] {
        switch kind {
        case .llamaServer: ["/metrics", "/props"]
        case .ollama: ["/api/ps"]
        case .vllm: ["/metrics"]
        }
    }
}
