/// Every quantization of one model on one machine, best quality first (`Recommendations.ladder`):
/// what `canrun fit MODEL --json` and `GET /v1/fit` answer when no quantization is given
/// (DESIGN §5.1). Each report says whether it fits, where and how fast; `best` is the first that
/// fits.
public struct FitReports: Codable, Sendable, Equatable {
    public var model: String
    public var reports: [FitReport]

    public init(model: String, reports: [FitReport]) {
        self.model = model
        self.reports = reports
    }

    /// Every rung of the ladder for `request`'s model; throws what a fit throws (an impossible
    /// context is impossible for every quantization), and `AnswerError` when `deadline` passes
    /// between rungs.
    public static func every(
        request: (String) -> FitEngine.Request,
        engine: FitEngine,
        machine: MachineProfile,
        deadline: Deadline = .none
    ) throws -> FitReports {
        try FitEngine.check(request(Recommendations.ladder[0]))
        let model = request(Recommendations.ladder[0]).model
        let inventory = TensorInventory(model)
        let reports = try Recommendations.ladder.map { quant in
            try deadline.check("fitting \(model.id)")
            return try engine.fit(request(quant), machine: machine, inventory: inventory)
        }
        return FitReports(model: model.id, reports: reports)
    }

    /// The best rung: the first report that fits, else the last (the smallest quantization).
    public var best: FitReport? { Self.best(reports) }

    /// The rule for the best rung, over reports in ladder order: the first that fits, else the
    /// last. Lazy sequences stop computing at the first that fits.
    public static func best(_ reports: some Sequence<FitReport>) -> FitReport? {
        var last: FitReport?
        for report in reports {
            if report.fits { return report }
            last = report
        }
        return last
    }
}
