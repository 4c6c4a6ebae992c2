import CanrunCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Turns one HTTP request into its answer: parses the route, refuses admin routes to other
/// users, runs admin actions, and answers the rest from the current snapshot. Shared by every
/// connection; the snapshot is swapped whole (reload, a finished benchmark), never edited.
public final class APIDispatcher: Sendable {
    /// Measures the bandwidth of the machine given and returns the report (the daemon's
    /// benchmark, which also caches it) and whether the cache kept it.
    public typealias Rebenchmark = @Sendable (MachineProfile) async throws -> BenchmarkMeasurement
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

    /// Reads the facts that change while the daemon runs, so `fits_now` is true at the moment of
    /// the question.
    public typealias FreeMemoryProbe = @Sendable () -> FreeMemory

    /// The snapshot, and its generation: bumped with every change, part of the response cache's
    /// key; read together, so an answer is never filed under another snapshot's generation.
    private let state: NIOLockedValueBox<(snapshot: APISnapshot, generation: Int)>
    private let cache = NIOLockedValueBox(ResponseCache(capacity: 512))
    private let daemonUID: UInt32
    private let rebenchmark: Rebenchmark?
    private let limitsBox: NIOLockedValueBox<ServerLimits>
    private let reload: Reload?
    private let freeMemory: FreeMemoryProbe?
    private let metrics: ServerMetrics?
    /// The metrics system's text exposition (Prometheus), for `GET /metrics`.
    private let exposition: (@Sendable () -> [UInt8])?
    /// The last free-memory reading and when it was taken: a burst of requests reads it once.
    private let freeMemoryCache = NIOLockedValueBox<(at: NIODeadline, free: FreeMemory)?>(nil)
    /// How long a free-memory reading answers for.
    public static let freeMemoryMaxAge = TimeAmount.seconds(1)

    public init(
        snapshot: APISnapshot,
        daemonUID: UInt32,
        limits: ServerLimits,
        rebenchmark: Rebenchmark?,
        freeMemory: FreeMemoryProbe? = nil,
        metrics: ServerMetrics? = nil,
        exposition: (@Sendable () -> [UInt8])? = nil,
        reload: Reload? = nil
    ) {
        state = NIOLockedValueBox((snapshot, 0))
        self.daemonUID = daemonUID
        limitsBox = NIOLockedValueBox(limits)
        self.rebenchmark = rebenchmark
        self.reload = reload
        self.freeMemory = freeMemory
        self.metrics = metrics
        self.exposition = exposition
    }

    public var snapshot: APISnapshot { state.withLockedValue { $0.snapshot } }

    /// The limits requests and new connections get now.
    public var limits: ServerLimits { limitsBox.withLockedValue { $0 } }

    /// New limits (a reload) for requests and connections from now on.
    public func setLimits(_ new: ServerLimits) { limitsBox.withLockedValue { $0 = new } }

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

    /// Memory free now, read at most once per `freeMemoryMaxAge`; nil without a probe.
    func freeReading(now: NIODeadline = .now()) -> FreeMemory? {
        guard let freeMemory else { return nil }
        return freeMemoryCache.withLockedValue { cache -> FreeMemory in
            if let cache, now - cache.at < Self.freeMemoryMaxAge { return cache.free }
            let free = freeMemory()
            cache = (now, free)
            return free
        }
    }

    /// The cached answer to `GET target` about the current facts, if there is one.
    func cached(_ target: String) -> APIResponse? {
        cache.withLockedValue { $0.answer(cacheKey(target, free: freeReading())) }?.response
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

    /// Every answer, admin actions included (they run here, awaited).
    /// - Parameters:
    ///   - body: the request body as received (at most the limit; `bodyBytes` counts all of it).
    ///   - bodyBytes: the request body's size; larger than the limit answers 413.
    ///   - peer: the client's credentials; nil (not a Unix socket) is never an admin.
    public func respond(
        method: String,
        target: String,
        body: [UInt8] = [],
        bodyBytes: Int,
        peer: PeerCredentials?
    ) async -> APIResponse {
        if let now = respondNow(method: method, target: target, body: body, bodyBytes: bodyBytes, peer: peer) {
            return now
        }
        // Only an admin route the peer may use is left.
        let started = ContinuousClock.now
        let parsed = APIRoute.parse(method: method, target: target)
        let response: APIResponse
        if case .success(let route) = parsed {
            response = await admin(route)
        } else {
            response = .error(.init(status: 500, code: "internal", message: "no answer for \(target)"))
        }
        record(parsed, response, since: started)
        return response
    }

    /// The answer when it needs no waiting (everything but an admin action the peer may take):
    /// what the server calls on its event loop. Nil: call `respond`, which runs the action.
    public func respondNow(
        method: String,
        target: String,
        body: [UInt8] = [],
        bodyBytes: Int,
        peer: PeerCredentials?
    ) -> APIResponse? {
        let started = ContinuousClock.now
        let free = freeReading()
        if method == "GET", bodyBytes == 0 {
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
        guard
            let response = answerNow(
                parsed,
                target: target,
                body: body,
                bodyBytes: bodyBytes,
                peer: peer,
                free: free
            )
        else { return nil }
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
        body: [UInt8],
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
            guard let exposition else {
                return .error(.init(status: 404, code: "no_metrics", message: "this server exposes no metrics"))
            }
            metrics?.recordFacts(withFreeMemory(snapshot, free), now: Date())
            return APIResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: exposition())
        }
        if route.isAdmin {
            guard let peer, peer.isAdmin(daemonUID: daemonUID) else {
                return .error(.forbidden(String(target.split(separator: "?").first ?? ""), uid: peer?.uid))
            }
            return nil
        }
        let (stored, generation) = state.withLockedValue { ($0.snapshot, $0.generation) }
        let snapshot = withFreeMemory(stored, free)
        guard ResponseCache.isCacheable(route) else {
            return APIService(snapshot: snapshot).respond(to: route, body: body)
        }
        let response = APIService(snapshot: snapshot).respond(to: route)
        if response.status < 500 {
            let key = ResponseCache.Key(target: target, generation: generation, freeMemory: free)
            let label = ServerMetrics.routeLabel(.success(route))
            cache.withLockedValue { $0.store(response, route: label, for: key) }
        }
        return response
    }

    private func admin(_ route: APIRoute) async -> APIResponse {
        if route == .reload {
            guard let reload else {
                return .error(.init(status: 503, code: "unavailable", message: "this daemon cannot reload"))
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
                        status: 422,
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
            return .error(.init(status: 503, code: "unavailable", message: "this daemon cannot run the benchmark"))
        case .alreadyRunning:
            return .error(
                .init(
                    status: 409,
                    code: "benchmark_running",
                    message: "a benchmark is already running",
                    hint: "GET /v1/health says when it is ready"
                )
            )
        case .failed(let error):
            return .error(.init(status: 500, code: "benchmark_failed", message: "the benchmark failed: \(error)"))
        }
    }

    /// What a benchmark run came to.
    public enum BenchmarkOutcome: Sendable {
        case measured(BandwidthReport)
        case alreadyRunning
        case unavailable
        case failed(any Error)
    }

    /// Measures the bandwidth of the current machine, one run at a time, and keeps the result:
    /// `/v1/health` says `running` meanwhile; a failure keeps what was there before. The admin
    /// route and the daemon's measurement at start both come here.
    public func runBenchmark() async -> BenchmarkOutcome {
        guard let rebenchmark else { return .unavailable }
        let machine = state.withLockedValue { s -> MachineProfile? in
            if s.snapshot.benchmarkRunning { return nil }
            s.snapshot.benchmarkRunning = true
            s.generation += 1
            return s.snapshot.machine
        }
        guard let machine else { return .alreadyRunning }
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
