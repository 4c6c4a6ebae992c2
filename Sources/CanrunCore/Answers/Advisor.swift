/// The one answer layer of both front ends: the CLI (in-process, or with the daemon's machine)
/// and canrund's routes ask it the same questions and get the same answers and the same
/// errors. It finds models (with "did you mean"), builds the engine's requests (the default
/// context, the asked options), picks the best quantization by one rule, ranks the catalog for
/// a machine, and turns every failure into an `AnswerError`.
public struct Advisor: Sendable {
    public var engine: FitEngine
    public var catalog: ModelCatalog

    public init(engine: FitEngine, catalog: ModelCatalog) {
        self.engine = engine
        self.catalog = catalog
    }

    /// The catalog entry `name` means (id, alias or Hugging Face repo, case-insensitive).
    public func model(_ name: String) throws(AnswerError) -> ModelSpec {
        do {
            return try catalog.resolve(name)
        } catch {
            if case .unknown = error.reason {
                throw AnswerError(
                    kind: .notFound,
                    code: "unknown_model",
                    message: error.description,
                    hint: error.didYouMean ?? "canrun models (GET /v1/models) lists the catalog"
                )
            }
            throw AnswerError(kind: .badRequest, code: "bad_request", message: error.description)
        }
    }

    /// `question` about the model `name` names: an Ollama tag ships one quantization, and is
    /// answered at it unless another was asked (`ModelCatalog.impliedQuant`).
    public func question(_ question: FitQuestion, naming name: String) -> FitQuestion {
        question.withImpliedQuant(catalog.impliedQuant(name))
    }

    /// The whole answer about `model`: one report when the quantization is asked or the model is
    /// a file measured exactly (`fileWeights`, fitted as it is), else one per rung of the ladder.
    public func fit(
        _ model: ModelSpec,
        fileWeights: WeightsEstimate? = nil,
        _ question: FitQuestion,
        machine: MachineProfile,
        deadline: Deadline = .none
    ) throws(AnswerError) -> FitAnswer {
        do {
            if let one = try single(model, fileWeights: fileWeights, question, machine: machine) { return .one(one) }
            return .every(
                try FitReports.every(
                    request: { question.request(model, quant: $0) },
                    engine: engine,
                    machine: machine,
                    goal: question.speedGoal,
                    allowHeavyLoss: question.allowHeavyLoss,
                    deadline: deadline
                )
            )
        } catch {
            throw Self.answerError(error)
        }
    }

    /// One report: the asked quantization, the file's own, or the ladder's `QuantChoice`,
    /// reading the ladder only as far as the choice needs: `canrun check`.
    public func report(
        _ model: ModelSpec,
        fileWeights: WeightsEstimate? = nil,
        _ question: FitQuestion,
        machine: MachineProfile
    ) throws(AnswerError) -> FitReport {
        do {
            if let one = try single(model, fileWeights: fileWeights, question, machine: machine) { return one }
            return try Recommendations.best(
                request: { question.request(model, quant: $0) },
                engine: engine,
                machine: machine,
                goal: question.speedGoal,
                allowHeavyLoss: question.allowHeavyLoss
            )
        } catch {
            throw Self.answerError(error)
        }
    }

    /// The report when the quantization is known; nil when every rung is to be tried.
    private func single(
        _ model: ModelSpec,
        fileWeights: WeightsEstimate?,
        _ question: FitQuestion,
        machine: MachineProfile
    ) throws -> FitReport? {
        if let quant = question.quant { return try engine.fit(question.request(model, quant: quant), machine: machine) }
        guard let exact = fileWeights else { return nil }
        var request = question.request(model, quant: exact.quant)
        request.weights = exact
        return try engine.fit(request, machine: machine)
    }

    /// What `machine` can run from the catalog, best first (`Recommendations.rank`), at most
    /// `limit` rows, and what was left out.
    public func recommendations(
        machine: MachineProfile,
        context: Int,
        minTokensPerSecond: Double? = nil,
        allowHeavyLoss: Bool = false,
        includeSlow: Bool = false,
        includeShortContext: Bool = false,
        sayShortContext: Bool = true,
        limit: Int? = nil,
        deadline: Deadline = .none
    ) throws(AnswerError) -> Recommendations.Ranking {
        var ranking = try Recommendations.rank(
            catalog.models,
            engine: engine,
            machine: machine,
            context: context,
            minTokensPerSecond: minTokensPerSecond,
            allowHeavyLoss: allowHeavyLoss,
            includeSlow: includeSlow,
            includeShortContext: includeShortContext,
            sayShortContext: sayShortContext,
            deadline: deadline
        )
        if let limit { ranking.reports = Array(ranking.reports.prefix(limit)) }
        return ranking
    }

    /// Every failure of a fit as the front ends report it.
    static func answerError(_ error: any Error) -> AnswerError {
        switch error {
        case let answer as AnswerError:
            return answer
        case let fit as FitEngine.FitError:
            let code: String
            switch fit {
            case .unknownQuant, .otherRuntimeFormat: code = "unknown_quant"
            case .impossibleContext: code = "impossible_context"
            case .invalidModel: code = "invalid_model"
            case .impossibleOption: code = "bad_request"
            }
            return AnswerError(kind: .badRequest, code: code, message: fit.description)
        case let plan as KVCachePlan.PlanError:
            let code: String
            switch plan {
            case .unknownCacheType: code = "unknown_kv_type"
            case .badContext: code = "impossible_context"
            }
            return AnswerError(kind: .badRequest, code: code, message: plan.description)
        default:
            return AnswerError(kind: .badRequest, code: "bad_request", message: "\(error)")
        }
    }
}
