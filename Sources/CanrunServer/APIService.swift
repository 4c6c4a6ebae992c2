import CanrunCore
import Foundation

/// Answers the routes of DESIGN §5.2 from a snapshot: pure, no sockets, so every answer is
/// tested without a server. The JSON is the CLI's: the same Core calls, the same encoder.
public struct APIService: Sendable {
    public var snapshot: APISnapshot

    public init(snapshot: APISnapshot) {
        self.snapshot = snapshot
    }

    /// `GET /v1/health`.
    public struct Health: Encodable, Sendable, Equatable {
        public var status: String
        public var version: String
        public var benchmark: APISnapshot.Benchmark
        /// `saved` or `not_saved` (the measurement is served, but the state directory did not
        /// keep it: the next start measures again); absent while there is no measurement.
        public var benchmarkCache: String?
        /// Why the measurement was not saved.
        public var benchmarkCacheProblem: String?

        init(status: String, version: String, snapshot: APISnapshot) {
            self.status = status
            self.version = version
            benchmark = snapshot.benchmark
            switch snapshot.benchmarkCache {
            case .saved: benchmarkCache = "saved"
            case .notSaved(let reason):
                benchmarkCache = "not_saved"
                benchmarkCacheProblem = reason
            case nil: break
            }
        }
    }

    /// The answer to a read-only route (admin routes are the server's: they change state);
    /// `body` is the request's (a posted `config.json`).
    public func respond(to route: APIRoute, body: [UInt8] = []) -> APIResponse {
        let s = snapshot
        switch route {
        case .health:
            return .json(Health(status: "ok", version: s.version, snapshot: s))
        case .machine:
            return .json(s.machine)
        case .bandwidth:
            guard let report = s.machine.bandwidth else {
                return .error(
                    APIError(
                        status: 404,
                        code: "no_bandwidth",
                        message: "no bandwidth measurement yet (benchmark \(s.benchmark.rawValue))",
                        hint: s.benchmark == .running
                            ? "it is running: ask again in a few seconds"
                            : "POST /v1/bandwidth as root, or canrun bench"
                    )
                )
            }
            return .json(report)
        case .models:
            return .json(s.catalog.models.map { ModelSummary($0) })
        case .model(let id):
            switch model(id) {
            case .success(let spec): return .json(ModelSummary(spec, detailed: true, table: s.engine.quants))
            case .failure(let error): return .error(error)
            }
        case .fit(let q):
            return fit(q)
        case .fitConfig(let q):
            do {
                let (spec, _) = try HFConfigReader.read(Data(body), id: q.model)
                return fit(q, spec: spec)
            } catch {
                return .error(
                    .badRequest(
                        "the posted body: \(error)",
                        hint: "curl --data-binary @config.json --unix-socket … 'http://localhost/v1/fit?quant=Q4_K_M'"
                    )
                )
            }
        case .recommendations(let q):
            var reports = Recommendations.rank(
                s.catalog.models,
                engine: s.engine,
                machine: s.machine,
                context: q.context,
                minTokensPerSecond: q.minTokensPerSecond
            )
            if let limit = q.limit { reports = Array(reports.prefix(limit)) }
            return .json(reports)
        case .rebenchmark, .reload, .metrics:
            return .error(
                .init(status: 500, code: "internal", message: "the dispatcher's own route reached the service")
            )
        }
    }

    func model(_ id: String) -> Result<ModelSpec, APIError> {
        if let spec = snapshot.catalog.model(id) { return .success(spec) }
        let close = snapshot.catalog.suggestions(for: id)
        return .failure(
            APIError(
                status: 404,
                code: "unknown_model",
                message: "unknown model '\(id)'",
                hint: close.isEmpty
                    ? "GET /v1/models lists the catalog" : "did you mean \(close.joined(separator: ", "))?"
            )
        )
    }

    func fit(_ q: APIRoute.FitQuery) -> APIResponse {
        switch model(q.model) {
        case .success(let spec): return fit(q, spec: spec)
        case .failure(let error): return .error(error)
        }
    }

    func fit(_ q: APIRoute.FitQuery, spec: ModelSpec) -> APIResponse {
        let context = q.context ?? FitEngine.Request.defaultContext(spec)
        let request = { (quant: String) in
            FitEngine.Request(
                model: spec,
                quant: quant,
                context: context,
                kvType: q.kvType,
                flashAttention: q.flashAttention
            )
        }
        do {
            if let quant = q.quant {
                return .json(try snapshot.engine.fit(request(quant), machine: snapshot.machine))
            }
            return .json(try FitReports.every(request: request, engine: snapshot.engine, machine: snapshot.machine))
        } catch let error as FitEngine.FitError {
            let code: String
            switch error {
            case .unknownQuant: code = "unknown_quant"
            case .impossibleContext: code = "impossible_context"
            }
            return .error(APIError(status: 400, code: code, message: error.description))
        } catch {
            return .error(.badRequest("\(error)"))
        }
    }
}
