import CanrunCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Turns one HTTP request into its answer: parses the route, refuses admin routes to other
/// users, runs admin actions, and answers the rest from the current snapshot. Shared by every
/// connection; the snapshot is swapped whole (reload, a finished benchmark), never edited.
///
/// The event loop only ever gets answers that cost nothing: cached ones, the cheap routes
/// (health, machine, bandwidth, the model list, metrics) and refusals. Fits, rankings and model
/// details are computed off the loop (`respond`), at most `ServerLimits.maxComputations` at
/// once (503 with `Retry-After` past that) and each within `computeTimeoutSeconds`.
public final class APIDispatcher: Sendable {
    /// Measures the bandwidth of the machine given and returns the report (the daemon's
    /// benchmark, which also caches it) and whether the cache kept it.
    public typealias Rebenchmark = @Sendable (MachineProfile) async throws -> BenchmarkMeasurement
    /// Calibrates the machine given against the shipped engine given, as asked (the daemon's
    /// `CalibrationRun`, which also keeps the result): the calibration's state, and why the
    /// state directory did not keep it.
    public typealias Recalibrate =
        @Sendable (MachineProfile, FitEngine, APIRoute.CalibrationQuery) async throws -> (
            CalibrationState, notSaved: String?
        )
    /// Runs llama-bench on a GGUF file as asked, beside the given advisor's answers for the
    /// given machine (the daemon's `VerificationRun`, which also keeps it): the verification,
    /// and why the state directory did not keep it.
    public typealias Verify =
        @Sendable (MachineProfile, Advisor, APIRoute.VerifyQuery) async throws -> (Verification, notSaved: String?)
    /// Re-reads the configuration and re-probes the machine; the error says why a configuration
    /// was refused (the old one stays).
    public typealias Reload = @Sendable () async -> Result<String, DaemonConfig.ConfigError>

    /// Memory free right now: RAM (`MemAvailable`) and each GPU's by PCI address; nil or absent
    /// where it cannot be read.
    public struct FreeMemory: Sendable, Hashable {
        public var ramBytes: Int64?
        public var gpuBytes: [String: Int64]

        public init(ramBytes: Int64?, gpuBytes: [String: Int64] = [:]) {
            self.ramBytes = ramBytes
            self.gpuBytes = gpuBytes
        }
    }

    /// The snapshot, and its generation: bumped with every change, part of the response cache's
    /// key; read together, so an answer is never filed under another snapshot's generation.
    private let state: NIOLockedValueBox<(snapshot: APISnapshot, generation: Int)>
    private let cache = NIOLockedValueBox(ResponseCache(capacity: 512))
    private let daemonUID: UInt32
    private let rebenchmark: Rebenchmark?
    private let recalibrate: Recalibrate?
    private let verify: Verify?
    private let limitsBox: NIOLockedValueBox<ServerLimits>
    private let reload: Reload?
    private let metrics: ServerMetrics?
    /// The metrics system's text exposition (Prometheus), for `GET /metrics`.
    private let exposition: (@Sendable () -> [UInt8])?
    /// The latest free-memory reading a poller published (`publish`); requests only read it.
    private let freeMemory = NIOLockedValueBox<FreeMemory?>(nil)
    /// Computations running or waiting now.
    private let computations = NIOLockedValueBox(0)
    /// What the watched model servers last answered (`publish(_ observations:)`).
    private let observationsBox = NIOLockedValueBox<[ServerObservations]>([])
    /// The models `/metrics` gives fit gauges for (`DaemonConfig.metricsModels`).
    private let metricsModelsBox: NIOLockedValueBox<[String]>

    public init(
        snapshot: APISnapshot,
        daemonUID: UInt32,
        limits: ServerLimits,
        rebenchmark: Rebenchmark?,
        metrics: ServerMetrics? = nil,
        exposition: (@Sendable () -> [UInt8])? = nil,
        metricsModels: [String] = [],
        reload: Reload? = nil,
        recalibrate: Recalibrate? = nil,
        verify: Verify? = nil
    ) {
        metricsModelsBox = NIOLockedValueBox(metricsModels)
        state = NIOLockedValueBox((snapshot, 0))
        self.daemonUID = daemonUID
        limitsBox = NIOLockedValueBox(limits)
        self.rebenchmark = rebenchmark
        self.recalibrate = recalibrate
        self.verify = verify
        self.reload = reload
        self.metrics = metrics
        self.exposition = exposition
    }

    public var snapshot: APISnapshot { state.withLockedValue { $0.snapshot } }

    /// Whether `peer` may use admin routes and the admins' reserved connections.
    public func isAdmin(_ peer: PeerCredentials) -> Bool { peer.isAdmin(daemonUID: daemonUID) }

    /// The limits requests and new connections get now.
    public var limits: ServerLimits { limitsBox.withLockedValue { $0 } }

    /// New limits (a reload) for requests and connections from now on.
    public func setLimits(_ new: ServerLimits) { limitsBox.withLockedValue { $0 = new } }

    /// The models `/metrics` gives fit gauges for from now on (a reload).
    public func setMetricsModels(_ models: [String]) { metricsModelsBox.withLockedValue { $0 = models } }

    /// A fresh reading of the memory free now (the daemon's poller, once a second): answers
    /// from now on judge `fits_now` against it.
    public func publish(_ free: FreeMemory) { freeMemory.withLockedValue { $0 = free } }

    /// The watched servers' latest observations (canrund's pollers): `/v1/observations` and
    /// `/metrics` answer them from now on.
    public func publish(_ observations: [ServerObservations]) { observationsBox.withLockedValue { $0 = observations } }

    /// The watched servers' latest observations, in configuration order.
    public var observations: [ServerObservations] { observationsBox.withLockedValue { $0 } }

    /// The last published reading; nil before the first.
    public var freeReading: FreeMemory? { freeMemory.withLockedValue { $0 } }

    /// `snapshot` with the memory `free` says is free now.
    private func withFreeMemory(_ snapshot: APISnapshot, _ free: FreeMemory?) -> APISnapshot {
        var s = snapshot
        guard let free else { return s }
        if let ram = free.ramBytes { s.machine.memory.availableBytes = ram }
        if var gpus = s.machine.gpus {
            for i in gpus.indices {
                if let address = gpus[i].pciAddress, let bytes = free.gpuBytes[address] {
                    gpus[i].memoryFreeBytes = bytes
                }
            }
            s.machine.gpus = gpus
        }
        return s
    }

    /// The cached answer to `GET target` about the current facts, if there is one.
    func cached(_ target: String) -> APIResponse? {
        cache.withLockedValue { $0.answer(cacheKey(target, free: freeReading)) }?.response
    }

    /// Where the answer to `GET target` about the current snapshot and `free` is filed.
    private func cacheKey(_ target: String, free: FreeMemory?) -> ResponseCache.Key {
        ResponseCache.Key(target: target, generation: state.withLockedValue { $0.generation }, freeMemory: free)
    }

    /// Replaces the snapshot (a reload, a finished benchmark).
    public func update(_ change: (inout APISnapshot) -> Void) {
        state.withLockedValue {
            change(&$0.snapshot)
            $0.generation += 1
        }
    }

    /// Every answer: `respondNow`'s, else the admin action or the computation, awaited off the
    /// event loop.
    /// - Parameters:
    ///   - body: the request body as received (at most the limit; `bodyBytes` counts all of it).
    ///   - bodyBytes: the request body's size; larger than the limit answers 413.
    ///   - peer: the client's credentials; nil (not a Unix socket) is never an admin.
    public func respond(
        method: HTTPMethod,
        target: String,
        body: [UInt8] = [],
        bodyBytes: Int,
        peer: PeerCredentials?
    ) async -> APIResponse {
        if let now = respondNow(method: method, target: target, body: body, bodyBytes: bodyBytes, peer: peer) {
            return now
        }
        let started = ContinuousClock.now
        let parsed = APIRoute.parse(method: method, target: target)
        guard case .success(let route) = parsed else {
            return .error(.init(status: .internalServerError, code: "internal", message: "no answer for \(target)"))
        }
        let response: APIResponse
        if route.isAdmin {
            response = await admin(route)
        } else if route == .metrics {
            response = admitted { metricsResponse(free: freeReading, models: metricsModels) }
        } else {
            response = compute(route, target: target, body: body, since: started)
        }
        record(parsed, response, since: started)
        return response
    }

    /// The answer when it needs no waiting and no computing: what the server calls on its event
    /// loop. Nil: call `respond`, which runs the admin action or the computation.
    public func respondNow(
        method: HTTPMethod,
        target: String,
        body: [UInt8] = [],
        bodyBytes: Int,
        peer: PeerCredentials?
    ) -> APIResponse? {
        let started = ContinuousClock.now
        let free = freeReading
        if method == .GET, bodyBytes == 0 {
            let key = cacheKey(target, free: free)
            if let hit = cache.withLockedValue({ $0.answer(key) }) {
                metrics?.recordRequest(
                    route: hit.route,
                    status: hit.response.status,
                    duration: ContinuousClock.now - started
                )
                return hit.response
            }
        }
        let parsed = APIRoute.parse(method: method, target: target)
        guard let response = answerNow(parsed, target: target, bodyBytes: bodyBytes, peer: peer, free: free) else {
            return nil
        }
        record(parsed, response, since: started)
        return response
    }

    private func record(
        _ parsed: Result<APIRoute, APIError>,
        _ response: APIResponse,
        since started: ContinuousClock.Instant
    ) {
        metrics?.recordRequest(
            route: ServerMetrics.routeLabel(parsed),
            status: response.status,
            duration: ContinuousClock.now - started
        )
    }

    private func answerNow(
        _ parsed: Result<APIRoute, APIError>,
        target: String,
        bodyBytes: Int,
        peer: PeerCredentials?,
        free: FreeMemory?
    ) -> APIResponse? {
        let maxBody = limits.maxBodyBytes
        guard bodyBytes <= maxBody else {
            return .error(.tooLarge("the request body", limit: maxBody))
        }
        let route: APIRoute
        switch parsed {
        case .success(let r): route = r
        case .failure(let e): return .error(e)
        }
        if route == .metrics {
            guard exposition != nil else {
                return .error(.init(status: .notFound, code: "no_metrics", message: "this server exposes no metrics"))
            }
            // The configured models' fit gauges cost a fit each: computed off the event loop.
            guard metricsModels.isEmpty else { return nil }
            return metricsResponse(free: free, models: [])
        }
        if route.isAdmin {
            guard let peer, peer.isAdmin(daemonUID: daemonUID) else {
                return .error(.forbidden(String(target.split(separator: "?").first ?? ""), uid: peer?.uid))
            }
            return nil
        }
        if route == .observations { return .json(observations) }
        guard !route.isComputed else { return nil }
        let (stored, generation) = state.withLockedValue { ($0.snapshot, $0.generation) }
        let response = APIService(snapshot: withFreeMemory(stored, free)).respond(to: route)
        store(response, route: route, target: target, generation: generation, free: free)
        return response
    }

    /// Files a cacheable answer under the facts it was computed from.
    private func store(
        _ response: APIResponse,
        route: APIRoute,
        target: String,
        generation: Int,
        free: FreeMemory?
    ) {
        guard ResponseCache.isCacheable(route), response.status.code < 500 else { return }
        let key = ResponseCache.Key(target: target, generation: generation, freeMemory: free)
        let label = ServerMetrics.routeLabel(.success(route))
        cache.withLockedValue { $0.store(response, route: label, for: key) }
    }

    private var metricsModels: [String] { metricsModelsBox.withLockedValue { $0 } }

    /// `/metrics`: the machine's gauges and `models`' fit gauges as of now, in Prometheus text.
    private func metricsResponse(free: FreeMemory?, models: [String]) -> APIResponse {
        guard let exposition else {
            return .error(.init(status: .notFound, code: "no_metrics", message: "this server exposes no metrics"))
        }
        metrics?.recordFacts(withFreeMemory(snapshot, free), now: Date(), models: models)
        metrics?.recordObservations(observations)
        return APIResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: exposition())
    }

    /// A fit, a ranking or a model's details, on the calling task (never an event loop): at
    /// most `maxComputations` at once, each given until `computeTimeoutSeconds` after `started`.
    private func compute(
        _ route: APIRoute,
        target: String,
        body: [UInt8],
        since started: ContinuousClock.Instant
    )
        -> APIResponse
    {
        admitted {
            let free = freeReading
            let (stored, generation) = state.withLockedValue { ($0.snapshot, $0.generation) }
            let end = started + .seconds(limits.computeTimeoutSeconds)
            let response = APIService(snapshot: withFreeMemory(stored, free)).respond(
                to: route,
                body: body,
                deadline: Deadline { ContinuousClock.now > end }
            )
            store(response, route: route, target: target, generation: generation, free: free)
            return response
        }
    }

    /// `work` when fewer than `maxComputations` run, else 503 busy with `Retry-After`.
    private func admitted(_ work: () -> APIResponse) -> APIResponse {
        let limits = self.limits
        let admitted = computations.withLockedValue { running -> Bool in
            guard running < limits.maxComputations else { return false }
            running += 1
            return true
        }
        guard admitted else {
            var busy = APIResponse.error(
                .init(
                    status: .serviceUnavailable,
                    code: "busy",
                    message: "the daemon is computing \(limits.maxComputations) answers already",
                    hint: "retry after a second"
                )
            )
            busy.retryAfterSeconds = 1
            return busy
        }
        defer { computations.withLockedValue { $0 -= 1 } }
        return work()
    }

    private func admin(_ route: APIRoute) async -> APIResponse {
        if case .recalibrate(let query) = route {
            return runResponse(
                startCalibration(query),
                "calibration",
                hint: "GET /v1/health says calibration_run: finished or failed; GET /v1/calibration then has it"
            )
        }
        if case .verify(let query) = route {
            return runResponse(
                startVerification(query),
                "verification",
                hint: "GET /v1/health says verify_run: finished or failed; GET /v1/verifications then has it"
            )
        }
        if route == .reload {
            guard let reload else {
                return .error(
                    .init(status: .serviceUnavailable, code: "unavailable", message: "this daemon cannot reload")
                )
            }
            struct Reloaded: Encodable {
                var status: String
                var message: String
            }
            switch await reload() {
            case .success(let message): return .json(Reloaded(status: "reloaded", message: message))
            case .failure(let error):
                return .error(
                    .init(
                        status: .unprocessableEntity,
                        code: "bad_config",
                        message: "configuration refused, the running one kept: \(error)",
                        hint: "canrun config check shows every problem"
                    )
                )
            }
        }
        switch await runBenchmark() {
        case .measured(let report):
            return .json(report)
        case .unavailable:
            return .error(
                .init(status: .serviceUnavailable, code: "unavailable", message: "this daemon cannot run the benchmark")
            )
        case .alreadyRunning:
            return .error(
                .init(
                    status: .conflict,
                    code: "benchmark_running",
                    message: "a benchmark is already running",
                    hint: "GET /v1/health says when it is ready"
                )
            )
        case .busy(let other):
            return .error(
                .init(
                    status: .conflict,
                    code: "busy",
                    message: "\(other) now, and the benchmark would measure it too",
                    hint: "GET /v1/health says when it is done; ask again then"
                )
            )
        case .failed(let error):
            return .error(
                .init(status: .internalServerError, code: "benchmark_failed", message: "the benchmark failed: \(error)")
            )
        }
    }

    /// What asking for a background run (a calibration, a verification) came to.
    public enum RunStart: Sendable, Equatable {
        /// It runs in the background now.
        case started
        case alreadyRunning
        /// Another measurement runs now (the bandwidth benchmark, llama-bench): both would be
        /// skewed by the other.
        case busy(String)
        /// There is no bandwidth measurement yet: the speeds it answers rest on one.
        case noBandwidth
        case unavailable
    }

    /// Which background run: where its state is kept in the snapshot.
    enum Run: Sendable {
        case calibration, verification

        func state(_ s: APISnapshot) -> APISnapshot.RunState? {
            switch self {
            case .calibration: s.calibrationRun
            case .verification: s.verifyRun
            }
        }

        func set(_ s: inout APISnapshot, _ state: APISnapshot.RunState) {
            switch self {
            case .calibration: s.calibrationRun = state
            case .verification: s.verifyRun = state
            }
        }
    }

    /// Starts `work` on what `take` reads of the snapshot, in the background, one `run` at a time
    /// and only with a measured bandwidth: its state says `running`, then `finished` after
    /// `apply` put the outcome in the snapshot, or `failed` with the reason (the snapshot keeps
    /// what it had).
    private func start<Job: Sendable, Outcome: Sendable>(
        _ run: Run,
        take: (APISnapshot) -> Job,
        work: @escaping @Sendable (Job) async throws -> (Outcome, notSaved: String?),
        apply: @escaping @Sendable (inout APISnapshot, Outcome) -> Void
    ) -> RunStart {
        var refusal = RunStart.started
        let job = state.withLockedValue { s -> Job? in
            if run.state(s.snapshot) == .running {
                refusal = .alreadyRunning
                return nil
            }
            if let other = s.snapshot.measurementRunning {
                refusal = .busy(other)
                return nil
            }
            guard s.snapshot.machine.bandwidth != nil else {
                refusal = .noBandwidth
                return nil
            }
            run.set(&s.snapshot, .running)
            s.generation += 1
            return take(s.snapshot)
        }
        guard let job else { return refusal }
        Task {
            do {
                let (outcome, notSaved) = try await work(job)
                update {
                    apply(&$0, outcome)
                    run.set(&$0, .finished(problem: notSaved))
                }
            } catch {
                update { run.set(&$0, .failed(reason: "\(error)")) }
            }
        }
        return .started
    }

    /// Starts calibrating the current machine in the background: `/v1/health`'s
    /// `calibration_run` says `running`, then `finished` (and the answers use it) or `failed`
    /// with the reason (and the answers keep what they had).
    @discardableResult
    public func startCalibration(_ query: APIRoute.CalibrationQuery) -> RunStart {
        guard let recalibrate else { return .unavailable }
        return start(
            .calibration,
            take: { ($0.machine, $0.shippedEngine) },
            work: { machine, engine in try await recalibrate(machine, engine, query) },
            apply: { snapshot, calibration in
                // The machine may have been re-probed meanwhile (a changed CPU or memory).
                snapshot.calibrate(with: calibration.restricted(to: HardwareFingerprint.of(snapshot.machine)))
            }
        )
    }

    /// Starts verifying a GGUF file against llama-bench in the background with the current
    /// answers: `/v1/health`'s `verify_run` says how it went, and `/v1/verifications` has it.
    @discardableResult
    public func startVerification(_ query: APIRoute.VerifyQuery) -> RunStart {
        guard let verify else { return .unavailable }
        return start(
            .verification,
            take: { ($0.machine, $0.advisor) },
            work: { machine, advisor in try await verify(machine, advisor, query) },
            apply: { snapshot, verification in
                snapshot.verifications = Array((snapshot.verifications + [verification]).suffix(100))
            }
        )
    }

    /// 202 when `start` started, else why not; `what` names the run (`calibration`,
    /// `verification`) in the codes and words.
    private func runResponse(_ start: RunStart, _ what: String, hint: String) -> APIResponse {
        struct Started: Encodable {
            var status = "started"
            var hint: String
        }
        switch start {
        case .started: return .json(Started(hint: hint), status: .accepted)
        case .busy(let other):
            return .error(
                .init(
                    status: .conflict,
                    code: "busy",
                    message: "\(other) now, and the \(what) would measure it too",
                    hint: "GET /v1/health says when it is done; ask again then"
                )
            )
        case .alreadyRunning:
            return .error(
                .init(
                    status: .conflict,
                    code: "\(what)_running",
                    message: "a \(what) is already running",
                    hint: "GET /v1/health says when it is done"
                )
            )
        case .noBandwidth:
            return .error(
                .init(
                    status: .conflict,
                    code: "no_bandwidth",
                    message: "a \(what) answers with the measured bandwidth, and there is none yet",
                    hint: "POST /v1/bandwidth first, or wait for the measurement at start"
                )
            )
        case .unavailable:
            return .error(
                .init(status: .serviceUnavailable, code: "unavailable", message: "this daemon cannot run a \(what)")
            )
        }
    }

    /// What a benchmark run came to.
    public enum BenchmarkOutcome: Sendable {
        case measured(BandwidthReport)
        case alreadyRunning
        /// llama-bench runs now (a calibration, a verification): it would be measured too.
        case busy(String)
        case unavailable
        case failed(any Error)
    }

    /// Measures the bandwidth of the current machine, one run at a time, and keeps the result:
    /// `/v1/health` says `running` meanwhile; a failure keeps what was there before. The admin
    /// route and the daemon's measurement at start both come here.
    public func runBenchmark() async -> BenchmarkOutcome {
        guard let rebenchmark else { return .unavailable }
        var refusal = BenchmarkOutcome.alreadyRunning
        let machine = state.withLockedValue { s -> MachineProfile? in
            if s.snapshot.benchmarkRunning { return nil }
            if let other = s.snapshot.measurementRunning {
                refusal = .busy(other)
                return nil
            }
            s.snapshot.benchmarkRunning = true
            s.generation += 1
            return s.snapshot.machine
        }
        guard let machine else { return refusal }
        do {
            let measured = try await rebenchmark(machine)
            update {
                $0.machine.bandwidth = measured.report
                $0.benchmarkCache = measured.cache
                $0.benchmarkRunning = false
            }
            return .measured(measured.report)
        } catch {
            update { $0.benchmarkRunning = false }
            return .failed(error)
        }
    }
}
