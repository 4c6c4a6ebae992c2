import CanrunCore
import NIOConcurrencyHelpers

/// Turns one HTTP request into its answer: parses the route, refuses admin routes to other
/// users, runs admin actions, and answers the rest from the current snapshot. Shared by every
/// connection; the snapshot is swapped whole (reload, a finished benchmark), never edited.
public final class APIDispatcher: Sendable {
    /// Re-measures the bandwidth and returns the new report (the daemon's benchmark, cached).
    public typealias Rebenchmark = @Sendable () async throws -> BandwidthReport

    private let state: NIOLockedValueBox<APISnapshot>
    private let daemonUID: UInt32
    private let rebenchmark: Rebenchmark?
    private let limits: ServerLimits

    public init(snapshot: APISnapshot, daemonUID: UInt32, limits: ServerLimits, rebenchmark: Rebenchmark?) {
        state = NIOLockedValueBox(snapshot)
        self.daemonUID = daemonUID
        self.limits = limits
        self.rebenchmark = rebenchmark
    }

    public var snapshot: APISnapshot { state.withLockedValue { $0 } }

    /// Replaces the snapshot (a reload, a finished benchmark).
    public func update(_ change: (inout APISnapshot) -> Void) {
        state.withLockedValue { change(&$0) }
    }

    /// - Parameters:
    ///   - bodyBytes: the request body's size; larger than the limit answers 413.
    ///   - peer: the client's credentials; nil (not a Unix socket) is never an admin.
    public func respond(method: String, target: String, bodyBytes: Int, peer: PeerCredentials?) async -> APIResponse {
        guard bodyBytes <= limits.maxBodyBytes else {
            return .error(.tooLarge("the request body", limit: limits.maxBodyBytes))
        }
        let route: APIRoute
        switch APIRoute.parse(method: method, target: target) {
        case .success(let r): route = r
        case .failure(let e): return .error(e)
        }
        if route.isAdmin {
            guard let peer, peer.isAdmin(daemonUID: daemonUID) else {
                return .error(.forbidden(String(target.split(separator: "?").first ?? ""), uid: peer?.uid))
            }
            return await admin(route)
        }
        return APIService(snapshot: snapshot).respond(to: route)
    }

    private func admin(_ route: APIRoute) async -> APIResponse {
        guard route == .rebenchmark, let rebenchmark else {
            return .error(.init(status: 503, code: "unavailable", message: "this daemon cannot run the benchmark"))
        }
        let already = state.withLockedValue { s -> Bool in
            if s.benchmark == .running { return true }
            s.benchmark = .running
            return false
        }
        guard !already else {
            return .error(
                .init(
                    status: 409,
                    code: "benchmark_running",
                    message: "a benchmark is already running",
                    hint: "GET /v1/health says when it is ready"
                )
            )
        }
        do {
            let report = try await rebenchmark()
            update {
                $0.machine.bandwidth = report
                $0.benchmark = .ready
            }
            return .json(report)
        } catch {
            update { $0.benchmark = $0.machine.bandwidth == nil ? .pending : .ready }
            return .error(.init(status: 500, code: "benchmark_failed", message: "the benchmark failed: \(error)"))
        }
    }
}
