import CanrunCore
import CanrunServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The daemon's one service: loads the facts, listens, tells systemd it is ready, measures the
/// bandwidth in the background when no cached measurement exists, and answers until SIGTERM.
struct Daemon: Service {
    let listener: UnixHTTPServer.Listener
    let environment: [String: String]
    let logger: Logger
    let notifier: SystemdNotifier
    let dispatcher: APIDispatcher
    let server: UnixHTTPServer
    let topology: TopologyFacts?
    /// Set at the start of a graceful shutdown: a running benchmark stops between passes.
    let stopping = NIOLockedValueBox(false)

    init(
        listener: UnixHTTPServer.Listener,
        environment: [String: String],
        logger: Logger,
        registry: PrometheusCollectorRegistry
    ) throws {
        self.listener = listener
        self.environment = environment
        self.logger = logger
        notifier = SystemdNotifier(environment: environment)
        let (snapshot, miss, topology) = try DaemonState.load(environment: environment)
        if let miss { logger.notice("no cached bandwidth: \(miss)") }
        self.topology = topology
        let limits = ServerLimits()
        var measure: APIDispatcher.Rebenchmark?
        if let topology {
            let machine = snapshot.machine
            let stopping = self.stopping
            measure = { [environment] in
                try await Daemon.measureOffLoop(
                    machine: machine,
                    topology: topology,
                    environment: environment,
                    stopping: stopping
                )
            }
        }
        dispatcher = APIDispatcher(
            snapshot: snapshot,
            daemonUID: getuid(),
            limits: limits,
            rebenchmark: measure,
            freeMemory: {
                (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap {
                    MeminfoParser.parse($0).availableBytes
                }
            },
            metrics: ServerMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            exposition: { registry.emitToBuffer() }
        )
        server = UnixHTTPServer(dispatcher: dispatcher, limits: limits, logger: logger)
    }

    /// The benchmark blocks a thread for seconds: it runs on NIO's blocking pool, never on the
    /// event loop or the cooperative pool.
    static func measureOffLoop(
        machine: MachineProfile,
        topology: TopologyFacts,
        environment: [String: String],
        stopping: NIOLockedValueBox<Bool>
    ) async throws -> BandwidthReport {
        try await NIOThreadPool.singleton.runIfActive {
            try DaemonState.measure(
                machine: machine,
                topology: topology,
                environment: environment,
                isCancelled: { stopping.withLockedValue { $0 } }
            )
        }
    }

    func run() async throws {
        let bound = try await server.bind(listener)
        switch listener {
        case .path(let path): logger.info("listening", metadata: ["socket": "\(path)"])
        case .socket(let fd): logger.info("adopted socket-activated listener", metadata: ["fd": "\(fd)"])
        }
        notifier.notify("READY=1\nSTATUS=serving")
        try await withThrowingDiscardingTaskGroup { group in
            if dispatcher.snapshot.benchmark == .pending {
                group.addTask { await benchmarkInBackground() }
            }
            if let usec = SystemdNotifier.watchdogMicroseconds(environment: environment, pid: getpid()) {
                group.addTask { await watchdog(every: .microseconds(Int64(usec / 2))) }
            }
            try await withGracefulShutdownHandler {
                do {
                    try await cancelWhenGracefulShutdown { try await server.serve(bound) }
                } catch is CancellationError {
                    // The way serving ends on SIGTERM: not an error.
                }
            } onGracefulShutdown: {
                stopping.withLockedValue { $0 = true }
                notifier.notify("STOPPING=1")
                logger.info("stopping")
            }
            group.cancelAll()
        }
    }

    /// `WATCHDOG=1` at half systemd's interval, each only after an event loop ran a task: a
    /// wedged loop stops the pings and systemd restarts the daemon.
    private func watchdog(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await MultiThreadedEventLoopGroup.singleton.any().submit {}.get()
                notifier.notify("WATCHDOG=1")
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    private func benchmarkInBackground() async {
        guard let topology else { return }
        dispatcher.update { $0.benchmark = .running }
        logger.info("measuring memory bandwidth in the background")
        do {
            let report = try await Daemon.measureOffLoop(
                machine: dispatcher.snapshot.machine,
                topology: topology,
                environment: environment,
                stopping: stopping
            )
            dispatcher.update {
                $0.machine.bandwidth = report
                $0.benchmark = .ready
            }
            logger.info("bandwidth measured", metadata: ["read_gb_s": "\(Double(report.total.readBytesPerS) / 1e9)"])
        } catch {
            dispatcher.update { $0.benchmark = .pending }
            if stopping.withLockedValue({ $0 }) {
                logger.info("bandwidth benchmark stopped for shutdown")
            } else {
                logger.warning("bandwidth benchmark failed: \(error)")
            }
        }
    }
}
