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
        /// `applied`, `none` or `unusable` (`GET /v1/calibration` says why).
        public var calibration: CalibrationState.Status
        /// canrund's last calibration run: `running`, `finished` or `failed`; absent before the
        /// first.
        public var calibrationRun: String?
        /// Why it failed, or why the state directory did not keep it.
        public var calibrationRunProblem: String?
        /// canrund's last verification (`POST /v1/verify`), the same way.
        public var verifyRun: String?
        public var verifyRunProblem: String?

        init(status: String, version: String, snapshot: APISnapshot) {
            self.status = status
            self.version = version
            benchmark = snapshot.benchmark
            calibration = snapshot.calibration.status
            (calibrationRun, calibrationRunProblem) = (
                snapshot.calibrationRun?.health.state, snapshot.calibrationRun?.health.problem
            )
            (verifyRun, verifyRunProblem) = (snapshot.verifyRun?.health.state, snapshot.verifyRun?.health.problem)
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
    /// `body` is the request's (a posted `config.json`). A fit or a ranking that runs past
    /// `deadline` answers 503.
    public func respond(to route: APIRoute, body: [UInt8] = [], deadline: Deadline = .none) -> APIResponse {
        let s = snapshot
        let advisor = s.advisor
        do throws(AnswerError) {
            switch route {
            case .health:
                return .json(Health(status: "ok", version: s.version, snapshot: s))
            case .machine:
                return .json(s.machine)
            case .calibration:
                return .json(s.calibration)
            case .verifications:
                return .json(s.verifications)
            case .bandwidth:
                guard let report = s.machine.bandwidth else {
                    return .error(
                        APIError(
                            status: .notFound,
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
                return .json(ModelSummary(try advisor.model(id), detailed: true, table: s.engine.quants))
            case .fit(let q):
                let answer = try advisor.fit(
                    try advisor.model(q.model),
                    advisor.question(q.question, naming: q.model),
                    machine: s.machine,
                    deadline: deadline
                )
                return .json(answer)
            case .fitConfig(let q):
                let spec: ModelSpec
                do {
                    spec = try HFConfigReader.read(Data(body), id: q.model).0
                } catch .invalid(let error) {
                    return .error(
                        APIError(
                            status: .badRequest,
                            code: "invalid_model",
                            message: "the posted config.json describes no real model: \(error)",
                            hint: "post the model's own config.json unchanged"
                        )
                    )
                } catch {
                    return .error(
                        .badRequest(
                            "the posted body: \(error)",
                            hint:
                                "curl --data-binary @config.json --unix-socket … 'http://localhost/v1/fit?quant=Q4_K_M'"
                        )
                    )
                }
                return .json(try advisor.fit(spec, q.question, machine: s.machine, deadline: deadline))
            case .report(let q):
                let ranking = try Self.ranking(q, advisor: advisor, machine: s.machine, deadline: deadline)
                let page = ReportPage.html(
                    label: "this machine",
                    machine: s.machine,
                    reports: ranking.reports,
                    extras: ReportExtras.of(ranking.reports, advisor: advisor, machine: s.machine, presets: s.presets),
                    date: Date()
                )
                return APIResponse(status: .ok, contentType: "text/html; charset=utf-8", body: Array(page.utf8))
            case .recommendations(let q):
                let ranking = try Self.ranking(q, advisor: advisor, machine: s.machine, deadline: deadline)
                return .json(ranking.reports)
            case .rebenchmark, .reload, .recalibrate, .verify, .metrics, .observations:
                return .error(
                    .init(
                        status: .internalServerError,
                        code: "internal",
                        message: "the dispatcher's own route reached the service"
                    )
                )
            }
        } catch {
            return .error(APIError(error))
        }
    }
}

extension APIService {
    /// The ranking `q` asks for (`/v1/recommendations` and the report page).
    static func ranking(
        _ q: APIRoute.RecommendationsQuery,
        advisor: Advisor,
        machine: MachineProfile,
        deadline: Deadline
    ) throws(AnswerError) -> Recommendations.Ranking {
        try advisor.recommendations(
            machine: machine,
            context: q.context,
            minTokensPerSecond: q.minTokensPerSecond,
            allowHeavyLoss: q.allowHeavyLoss,
            includeSlow: q.includeSlow,
            includeShortContext: q.includeSlow || !q.contextAsked,
            sayShortContext: q.contextAsked,
            limit: q.limit,
            deadline: deadline
        )
    }
}

extension APIResponse {
    /// A fit answer as the API's JSON: the report, or `{"model", "reports"}`.
    static func json(_ answer: FitAnswer) -> APIResponse {
        switch answer {
        case .one(let report): .json(report)
        case .every(let reports): .json(reports)
        }
    }
}
