import ArgumentParser
import CanrunClient
import CanrunCore
import CanrunProbe
import CanrunServer
import Foundation
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle

/// `canrund`: canrun's answers on a Unix socket (DESIGN §5.2), run by systemd or by hand.
@main
struct Canrund: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canrund",
        abstract: "canrun's daemon: what this machine can run, over HTTP/JSON on a Unix socket.",
        discussion: """
            Under systemd the socket unit passes the listening socket (LISTEN_FDS); run by hand
            it binds --socket (default: $CANRUN_SOCKET, /run/canrun/canrun.sock for root, else
            $XDG_RUNTIME_DIR/canrun.sock).

            Example:
              canrund --socket /tmp/canrun.sock &
              curl -s --unix-socket /tmp/canrun.sock 'http://localhost/v1/fit?model=llama-3.1-8b&quant=Q4_K_M' | jq .verdict
            """,
        version: CanrunVersion.current
    )

    /// ArgumentParser's own `main`, but `--version` says the commit and the data too.
    static func main() async {
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            print(BuildInfoReader.read().text(program: "canrund"))
            return
        }
        do {
            var command = try parseAsRoot()
            if let daemon = command as? Canrund {
                try await daemon.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    @Option(help: ArgumentHelp("The socket to bind when systemd passes none.", valueName: "PATH"))
    var socket: String?

    @Option(
        help: ArgumentHelp(
            "Read canrun.toml and canrun.toml.d/ from this folder only (default: /usr/lib/canrun, then /etc/canrun).",
            valueName: "DIR"
        )
    )
    var config: String?

    func run() async throws {
        // Read once, before NIO starts threads (sd_listen_fds(3)).
        let environment = ProcessInfo.processInfo.environment
        let inherited = SocketActivation.inherited(environment: environment)
        let directories = ConfigFiles.directories(option: config, environment: environment)
        let loaded: DaemonConfig.Loaded
        do {
            loaded = try ConfigFiles.load(directories: directories)
        } catch {
            throw ValidationError("configuration refused: \(error) (canrun config check shows every problem)")
        }
        LoggingSystem.bootstrap { label in JournalLogHandler.make(label: label, environment: environment) }
        var logger = Logger(label: "canrund")
        logger.logLevel = Logger.Level(rawValue: loaded.config.logLevel) ?? .info
        for warning in loaded.warnings { logger.warning("\(warning)") }
        let listener: UnixHTTPServer.Listener
        if let fd = inherited.first {
            listener = .socket(fd)
        } else if let path = SocketPath.resolve(option: socket, environment: environment, uid: getuid()) {
            listener = .path(path)
        } else {
            throw ValidationError("no socket: pass --socket PATH or set CANRUN_SOCKET (no XDG_RUNTIME_DIR)")
        }
        // One registry for the process: the daemon's own metrics and any library's.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let daemon = try Daemon(
            listener: listener,
            environment: environment,
            config: loaded,
            configDirectories: directories,
            logger: logger,
            registry: registry
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: daemon)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
