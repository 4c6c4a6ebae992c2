/// Every quantization of one model on one machine, best quality first (`Recommendations.ladder`):
/// what `canrun fit MODEL --json` and `GET /v1/fit` answer when no quantization is given
/// (DESIGN §5.1). Each report says whether it fits, where and how fast; `choice` says which one
/// leads the answer and why (`QuantChoice`), and `best` is that report.
public struct FitReports: Codable, Sendable, Equatable {
    public var model: String
    public var reports: [FitReport]
    public var choice: QuantChoice?

    public init(model: String, reports: [FitReport], choice: QuantChoice? = nil) {
        self.model = model
        self.reports = reports
        self.choice = choice
    }

    /// Every rung of the ladder for `request`'s model; throws what a fit throws (an impossible
    /// context is impossible for every quantization), and `AnswerError` when `deadline` passes
    /// between rungs.
    public static func every(
        request: (String) -> FitEngine.Request,
        engine: FitEngine,
        machine: MachineProfile,
        goal: Double = QuantChoice.defaultGoalTokensPerS,
        allowHeavyLoss: Bool = false,
        deadline: Deadline = .none
    ) throws -> FitReports {
        try FitEngine.check(request(Recommendations.ladder[0]))
        let model = request(Recommendations.ladder[0]).model
        let inventory = TensorInventory(model)
        var reports = try Recommendations.ladder(for: model, quants: engine.quants).map { quant in
            try deadline.check("fitting \(model.id)")
            return try engine.fit(request(quant), machine: machine, inventory: inventory)
        }
        let chosen = QuantChoice.choose(reports, goal: goal, allowHeavyLoss: allowHeavyLoss)
        if let chosen, let i = reports.firstIndex(where: { $0.quant == chosen.report.quant }) {
            reports[i] = chosen.choice.leading(reports[i])
        }
        return FitReports(model: model.id, reports: reports, choice: chosen?.choice)
    }

    /// The report the answer leads with (`choice`), else the first that fits, else the last.
    public var best: FitReport? {
        if let choice, let report = reports.first(where: { $0.quant == choice.quant }) { return report }
        return reports.first(where: \.fits) ?? reports.last
    }
}
