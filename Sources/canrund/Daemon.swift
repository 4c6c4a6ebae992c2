import CanrunBench
import CanrunClient
import CanrunCore
import CanrunProbe
import CanrunServer
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The daemon's one service: loads the facts, listens, tells systemd it is ready, measures the
/// bandwidth in the background when no cached measurement exists, and answers until SIGTERM.
struct Daemon: Service {
    let listener: UnixHTTPServer.Listener
    let environment: [String: String]
    let configDirectories: [String]
    /// The daemon's logger; its level follows the configuration on reload.
    private let loggerBox: NIOLockedValueBox<Logger>
    var logger: Logger { loggerBox.withLockedValue { $0 } }
    let notifier: SystemdNotifier
    let dispatcher: APIDispatcher
    let server: UnixHTTPServer
    let benchmarkOnStart: Bool
    let tcp: DaemonConfig.LoopbackAddress?
    let freeMemory: FreeMemoryReader
    /// Whether to calibrate when idle, as configured now (`[calibration] when_idle`).
    let calibrateWhenIdle: NIOLockedValueBox<Bool>
    /// The model servers watched, as configured now (`[[observe]]`).
    let observeTargets: NIOLockedValueBox<[ObserveTarget]>
    /// The llama-bench calibrations run, as configured now (`[llama_cpp] bench`).
    let llamaBench: NIOLockedValueBox<String?>
    /// Where the Node Feature Discovery file goes and the models it labels, as configured now.
    let nodeFeatures: NIOLockedValueBox<NodeFeatureInputs>

    /// What the node feature labels depend on besides the machine: the file, the models, and
    /// how many reloads (which may bring a new catalog or engine) have happened.
    struct NodeFeatureInputs: Equatable {
        var path: String?
        var models: [String]
        var reloads = 0
    }
    /// Set at the start of a graceful shutdown: a running benchmark stops between passes.
    let stopping = NIOLockedValueBox(false)
    /// The reload the admin route runs, set once the daemon exists (the route is built first).
    private let reloadHook = NIOLockedValueBox<(@Sendable () async -> Result<String, DaemonConfig.ConfigError>)?>(nil)

    init(
        listener: UnixHTTPServer.Listener,
        environment: [String: String],
        config: DaemonConfig.Loaded,
        configDirectories: [String],
        logger: Logger,
        registry: PrometheusCollectorRegistry
    ) throws {
        self.listener = listener
        self.environment = environment
        self.configDirectories = configDirectories
        loggerBox = NIOLockedValueBox(logger)
        benchmarkOnStart = config.config.benchmarkOnStart
        tcp = config.config.tcp
        nodeFeatures = NIOLockedValueBox(.init(path: config.config.nfdFeatureFile, models: config.config.metricsModels))
        notifier = SystemdNotifier(environment: environment)
        observeTargets = NIOLockedValueBox(config.config.observe)
        calibrateWhenIdle = NIOLockedValueBox(config.config.calibrateWhenIdle)
        let llamaBench = NIOLockedValueBox(config.config.llamaBench)
        self.llamaBench = llamaBench
        let (snapshot, miss, topology) = try DaemonState.load(
            environment: environment,
            llamaBench: config.config.llamaBench
        )
        if let miss { logger.notice("no cached bandwidth: \(miss)") }
        Self.log(snapshot.calibration, to: logger)
        let limits = config.config.limits
        let stopping = self.stopping
        let loggerBox = self.loggerBox
        var measure: APIDispatcher.Rebenchmark?
        if let topology {
            measure = { [environment] machine in
                let measured = try await Daemon.measureOffLoop(
                    machine: machine,
                    topology: topology,
                    environment: environment,
                    stopping: stopping
                )
                if case .notSaved(let reason) = measured.cache {
                    loggerBox.withLockedValue { $0 }.warning("\(reason); the measurement is served from memory")
                }
                return measured
            }
        }
        let recalibrate: APIDispatcher.Recalibrate = { [environment] machine, engine, query in
            loggerBox.withLockedValue { $0 }.info("calibrating with llama-bench in the background")
            do {
                let (calibration, notSaved) = try await NIOThreadPool.singleton.runIfActive {
                    try DaemonState.calibrate(
                        machine: machine,
                        engine: engine,
                        query: query,
                        llamaBench: llamaBench.withLockedValue { $0 },
                        environment: environment,
                        isCancelled: { stopping.withLockedValue { $0 } }
                    )
                }
                Daemon.log(calibration, to: loggerBox.withLockedValue { $0 })
                if let notSaved { loggerBox.withLockedValue { $0 }.warning("\(notSaved); it answers until restart") }
                return (calibration, notSaved)
            } catch {
                loggerBox.withLockedValue { $0 }.warning("calibration failed: \(error)")
                throw error
            }
        }
        let verify: APIDispatcher.Verify = { [environment] machine, advisor, query in
            loggerBox.withLockedValue { $0 }.info("verifying \(query.file) with llama-bench in the background")
            do {
                let (verification, notSaved) = try await NIOThreadPool.singleton.runIfActive {
                    try DaemonState.verify(
                        machine: machine,
                        advisor: advisor,
                        query: query,
                        llamaBench: llamaBench.withLockedValue { $0 },
                        environment: environment
                    )
                }
                let ratios = verification.rows.compactMap { row in row.ratio.map { "\(row.test) \($0)" } }
                loggerBox.withLockedValue { $0 }.notice(
                    "verified \(query.file): measured ÷ canrun \(ratios.joined(separator: ", "))"
                )
                if let notSaved { loggerBox.withLockedValue { $0 }.warning("\(notSaved)") }
                return (verification, notSaved)
            } catch {
                loggerBox.withLockedValue { $0 }.warning("verification of \(query.file) failed: \(error)")
                throw error
            }
        }
        let hook = reloadHook
        let freeMemory = FreeMemoryReader(machine: snapshot.machine)
        self.freeMemory = freeMemory
        dispatcher = APIDispatcher(
            snapshot: snapshot,
            daemonUID: getuid(),
            limits: limits,
            rebenchmark: measure,
            metrics: ServerMetrics(registry: registry),
            exposition: { registry.emitToBuffer() },
            metricsModels: config.config.metricsModels,
            reload: {
                guard let reload = hook.withLockedValue({ $0 }) else {
                    return .failure(.init(file: "canrund", message: "still starting"))
                }
                return await reload()
            },
            recalibrate: recalibrate,
            verify: verify
        )
        server = UnixHTTPServer(dispatcher: dispatcher)
        for problem in ServerMetrics.unanswerable(config.config.metricsModels, in: snapshot) {
            logger.warning("\(problem)")
        }
        let daemon = self
        reloadHook.withLockedValue { $0 = { await daemon.reload() } }
    }

    /// Re-reads the configuration and the catalog and re-probes the machine (SIGHUP, `canrun
    /// admin reload`). A configuration with a bad value is refused whole and the running one
    /// kept. Tells systemd `RELOADING=1` first and `READY=1` after, as `Type=notify-reload` wants.
    func reload() async -> Result<String, DaemonConfig.ConfigError> {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
        defer { notifier.notify("READY=1\nSTATUS=serving") }
        let loaded: DaemonConfig.Loaded
        do {
            loaded = try ConfigFiles.load(directories: configDirectories)
        } catch let error as DaemonConfig.ConfigError {
            logger.error("configuration refused, the running one kept: \(error)")
            return .failure(error)
        } catch {
            return .failure(.init(file: configDirectories.joined(separator: ", "), message: "\(error)"))
        }
        for warning in loaded.warnings { logger.warning("\(warning)") }
        let environment = self.environment
        let fresh: APISnapshot
        do {
            let llamaBench = loaded.config.llamaBench
            fresh = try await NIOThreadPool.singleton.runIfActive {
                try DaemonState.load(environment: environment, llamaBench: llamaBench).0
            }
        } catch {
            logger.error("re-reading the catalog or probing failed, the old answers kept: \(error)")
            return .failure(.init(file: "catalog", message: "\(error)"))
        }
        if fresh.calibration != dispatcher.snapshot.calibration { Self.log(fresh.calibration, to: logger) }
        dispatcher.setLimits(loaded.config.limits)
        llamaBench.withLockedValue { $0 = loaded.config.llamaBench }
        observeTargets.withLockedValue { $0 = loaded.config.observe }
        calibrateWhenIdle.withLockedValue { $0 = loaded.config.calibrateWhenIdle }
        dispatcher.setMetricsModels(loaded.config.metricsModels)
        nodeFeatures.withLockedValue {
            $0 = .init(path: loaded.config.nfdFeatureFile, models: loaded.config.metricsModels, reloads: $0.reloads + 1)
        }
        for problem in ServerMetrics.unanswerable(loaded.config.metricsModels, in: fresh) {
            logger.warning("\(problem)")
        }
        if loaded.config.tcp != tcp { logger.notice("server.tcp changes apply when canrund restarts") }
        loggerBox.withLockedValue { $0.logLevel = Logger.Level(rawValue: loaded.config.logLevel) ?? .info }
        dispatcher.update { old in
            var new = fresh
            // A measurement made since start (not yet in the cache, or the cache unreadable) stays.
            if new.machine.bandwidth == nil {
                new.machine.bandwidth = old.machine.bandwidth
                new.benchmarkCache = old.benchmarkCache
            }
            new.benchmarkRunning = old.benchmarkRunning
            new.calibrationRun = old.calibrationRun
            // A calibration canrund ran, which the state directory did not keep or which was
            // kept after the reload read it, stays when it is newer than what is stored (a
            // stored one canrun cannot use was put there since, and is said instead).
            if case .finished = old.calibrationRun, old.calibration.status == .applied,
                let mine = old.calibration.calibration, new.calibration.status != .unusable,
                mine.date > (new.calibration.calibration?.date ?? .distantPast)
            {
                new.calibrate(with: old.calibration.restricted(to: HardwareFingerprint.of(new.machine)))
            }
            new.verifyRun = old.verifyRun
            // Verifications made since start stay even when the log could not keep them.
            new.verifications = old.verifications
            old = new
        }
        let message = "configuration from \(loaded.files.count) file(s), catalog re-read, machine re-probed"
        logger.notice("reloaded: \(message)")
        return .success(message)
    }

    /// Says which CPU rates answer: the calibration's, or the shipped ones and why.
    static func log(_ calibration: CalibrationState, to logger: Logger) {
        switch calibration.status {
        case .applied:
            let note = calibration.calibration?.note(stale: calibration.stale) ?? calibration.path
            logger.notice("answering with this machine's calibration: \(note)")
        case .unusable:
            logger.warning("\(calibration.problem ?? calibration.path); the shipped rates answer")
        case .none:
            break
        }
    }

    /// The benchmark blocks a thread for seconds: it runs on NIO's blocking pool, never on the
    /// event loop or the cooperative pool.
    static func measureOffLoop(
        machine: MachineProfile,
        topology: TopologyFacts,
        environment: [String: String],
        stopping: NIOLockedValueBox<Bool>
    ) async throws -> BenchmarkMeasurement {
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
        case .tcp(let host, let port): logger.info("listening", metadata: ["tcp": "\(host):\(port)"])
        }
        var tcpBound: UnixHTTPServer.Bound?
        if let tcp {
            tcpBound = try await server.bind(.tcp(host: tcp.host, port: tcp.port))
            logger.info("listening on loopback TCP (read routes only)", metadata: ["address": "\(tcp.description)"])
        }
        notifier.notify("READY=1\nSTATUS=serving")
        try await withThrowingDiscardingTaskGroup { group in
            if let tcpBound {
                group.addTask { try await server.serve(tcpBound) }
            }
            if dispatcher.snapshot.benchmark == .pending, benchmarkOnStart {
                group.addTask { await benchmarkInBackground() }
            }
            group.addTask {
                // The one SIGHUP owner in the process (ServiceLifecycle has no reload of its own).
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    _ = await reload()
                }
            }
            group.addTask { await watchHardware() }
            group.addTask { await remeasureProvisional() }
            group.addTask { await pollFreeMemory() }
            group.addTask { await publishNodeFeatures() }
            group.addTask { await watchServers() }
            group.addTask { await calibrateWhenIdleLoop() }
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

    /// Reads the memory free now once a second, off the event loops, and publishes it: requests
    /// only read the last reading (`fits_now`), never the drivers. NVML's first
    /// initialisation, which can take long, happens here too, after READY.
    private func pollFreeMemory() async {
        while !Task.isCancelled {
            let reader = freeMemory
            if let free = try? await NIOThreadPool.singleton.runIfActive({ reader.read() }) {
                dispatcher.publish(free)
            }
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// Keeps the Node Feature Discovery file current: every 10 s, when the machine's facts, the
    /// models or the reload count changed since the labels were last written (or the write
    /// failed), they are computed afresh off the event loops and the file is replaced if they
    /// differ.
    private func publishNodeFeatures() async {
        var published: (inputs: NodeFeatureInputs, machine: MachineProfile, text: String)?
        var lastProblem: String?
        while !Task.isCancelled {
            let inputs = nodeFeatures.withLockedValue { $0 }
            let snapshot = dispatcher.snapshot
            if let path = inputs.path, published?.inputs != inputs || published?.machine != snapshot.machine {
                let text = try? await NIOThreadPool.singleton.runIfActive {
                    NodeFeatureFile.text(snapshot, models: inputs.models)
                }
                if let text {
                    do {
                        if published?.inputs.path != path || published?.text != text {
                            try NodeFeatureFile.write(text, to: path)
                            logger.info("node feature labels written", metadata: ["file": "\(path)"])
                        }
                        published = (inputs, snapshot.machine, text)
                        lastProblem = nil
                    } catch {
                        let problem = "\(error)"
                        if problem != lastProblem {
                            logger.warning("node feature labels not written: \(problem)")
                            lastProblem = problem
                        }
                    }
                }
            }
            do { try await Task.sleep(for: .seconds(10)) } catch { return }
        }
    }

    /// With `[calibration] when_idle`, calibrates when the answers have no calibration of this
    /// hardware, an unusable or a stale one: checked every minute, tried when other programs
    /// used under a quarter of the CPUs for 10 s, at most once an hour (a failed try, say on a
    /// machine that got busy, waits the hour too).
    private func calibrateWhenIdleLoop() async {
        var lastTry: ContinuousClock.Instant?
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(60)) } catch { return }
            guard calibrateWhenIdle.withLockedValue({ $0 }) else { continue }
            let snapshot = dispatcher.snapshot
            guard snapshot.machine.bandwidth != nil, snapshot.calibrationRun != .running,
                let reason = snapshot.calibration.reasonToCalibrate
            else { continue }
            if let lastTry, ContinuousClock.now - lastTry < .seconds(3600) { continue }
            let share = try? await NIOThreadPool.singleton.runIfActive { LoadSampler.othersShare(over: 10) }
            guard let busy = share ?? nil, busy < CPULoad.busyShare else { continue }
            lastTry = .now
            logger.notice("calibrating while the machine is idle: \(reason)")
            dispatcher.startCalibration(.init())
        }
    }

    /// Polls each configured model server at its interval, off the event loops (a poll blocks up
    /// to 5 s per request), and publishes what they answered for `/v1/observations` and
    /// `/metrics`. A server that stops or starts answering is said in the log once.
    private func watchServers() async {
        var observers: [String: (observer: ServerObserver, next: ContinuousClock.Instant?)] = [:]
        var problems: [String: String] = [:]
        while !Task.isCancelled {
            let targets = observeTargets.withLockedValue { $0 }
            var answers: [ServerObservations] = []
            var kept: [String: (observer: ServerObserver, next: ContinuousClock.Instant?)] = [:]
            for target in targets {
                // A shutdown does not wait for the servers left to poll.
                guard !Task.isCancelled, !stopping.withLockedValue({ $0 }) else { return }
                let key = "\(target.kind.rawValue) \(target.endpoint) \(target.name)"
                var entry = observers[key] ?? (ServerObserver(target: target), nil)
                if entry.observer.target != target { entry = (ServerObserver(target: target), nil) }
                if entry.next.map({ ContinuousClock.now >= $0 }) ?? true {
                    let snapshot = dispatcher.snapshot
                    let observer = entry.observer
                    let address: LoopbackHTTP.Address =
                        switch target.endpoint {
                        case .tcp(let a): .tcp(host: a.host, port: a.port)
                        case .unix(let path): .unix(path: path)
                        }
                    if let polled = try? await NIOThreadPool.singleton.runIfActive({ () -> ServerObserver in
                        var observer = observer
                        _ = observer.poll(at: Date(), snapshot: snapshot) { try LoopbackHTTP.get(address, $0) }
                        return observer
                    }) {
                        entry.observer = polled
                    }
                    entry.next = ContinuousClock.now + .seconds(target.intervalSeconds)
                    let problem = entry.observer.last?.problem
                    if problem != problems[key] {
                        if let problem {
                            logger.warning("\(target.name) at \(target.endpoint) cannot be read: \(problem)")
                        } else {
                            logger.info("watching \(target.name) at \(target.endpoint)")
                        }
                        problems[key] = problem
                    }
                }
                kept[key] = entry
                if let last = entry.observer.last { answers.append(last) }
            }
            observers = kept
            dispatcher.publish(answers)
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }

    /// Measures a provisional bandwidth reading again, on `RemeasureSchedule`, until one is taken
    /// on a quiet machine: the answers then rest on it, and the provisional one leaves the history.
    private func remeasureProvisional() async {
        var schedule = RemeasureSchedule()
        while !Task.isCancelled {
            do { try await Task.sleep(for: schedule.next) } catch { return }
            guard dispatcher.snapshot.machine.bandwidth?.provisional == true else {
                schedule.reset()
                continue
            }
            logger.info("the bandwidth reading is provisional (taken under load): measuring again")
            switch await dispatcher.runBenchmark() {
            case .measured(let report) where report.provisional != true:
                logger.info(
                    "bandwidth measured on a quiet machine",
                    metadata: ["read_gb_s": "\(Double(report.total.readBytesPerS) / 1e9)"]
                )
                schedule.reset()
            case .measured:
                schedule.backOff()
                logger.info("still busy: the reading stays provisional; next try in \(schedule.next)")
            case .failed(let error):
                schedule.backOff()
                if !stopping.withLockedValue({ $0 }) { logger.warning("bandwidth benchmark failed: \(error)") }
            case .alreadyRunning, .unavailable, .busy:
                break
            }
        }
    }

    /// Re-probes when a device, a CPU or memory comes or goes (`HardwareWatch`).
    private func watchHardware() async {
        var last = HardwareWatch.read()
        while !Task.isCancelled {
            do { try await Task.sleep(for: HardwareWatch.interval) } catch { return }
            let now = HardwareWatch.read()
            guard now != last else { continue }
            last = now
            logger.notice("hardware changed (PCI devices, CPUs online or memory): re-probing")
            _ = await reload()
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
        logger.info("measuring memory bandwidth in the background")
        switch await dispatcher.runBenchmark() {
        case .measured(let report):
            logger.info("bandwidth measured", metadata: ["read_gb_s": "\(Double(report.total.readBytesPerS) / 1e9)"])
        case .failed(let error):
            if stopping.withLockedValue({ $0 }) {
                logger.info("bandwidth benchmark stopped for shutdown")
            } else {
                logger.warning("bandwidth benchmark failed: \(error)")
            }
        case .alreadyRunning, .unavailable, .busy:
            break
        }
    }
}
