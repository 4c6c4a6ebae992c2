import Foundation

/// What a machine can run: for each catalog model the best quantization that fits at the given
/// context, best answers first — models that run well before ones that run slowly, and within a
/// verdict the largest model (more parameters, more capable) first.
public enum Recommendations {
    /// The quantizations tried per model, best quality first.
    public static let ladder = [
        "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M", "IQ3_M", "Q2_K", "IQ2_M", "IQ1_M",
    ]

    public static func rank(
        _ models: [ModelSpec],
        engine: FitEngine,
        machine: MachineProfile,
        context: Int,
        kvType: String = "f16",
        minTokensPerSecond: Double? = nil,
        deadline: Deadline = .none
    ) throws(AnswerError) -> [FitReport] {
        var reports: [(report: FitReport, params: Int64)] = []
        let devices = FitEngine.Devices(machine)
        let ceiling = engine.memoryCeiling(devices)
        let fewestBits = engine.quants.types.map(\.bitsPerWeight).filter { $0 > 0 }.min()
        for model in models {
            try deadline.check("ranking the catalog")
            let ctx = min(context, model.maxPositionEmbeddings)
            let inventory = TensorInventory(model)
            // No quantization packs a weight in fewer bits than the table's smallest type: a model
            // that outweighs all the machine's memory even so skips the ladder (each rung costs a
            // pass over every tensor).
            if let ceiling, let fewestBits,
                Double(inventory.totalParameters) * fewestBits / 8 > Double(ceiling)
            {
                continue
            }
            var chosen: FitReport?
            for quant in ladder {
                guard
                    let r = try? engine.fit(
                        .init(model: model, quant: quant, context: ctx, kvType: kvType),
                        devices: devices,
                        inventory: inventory
                    )
                else { continue }
                let fast = minTokensPerSecond.map { goal in (r.decodeTokensPerS ?? 0) >= goal } ?? true
                if r.fits && fast {
                    chosen = r
                    break
                }
            }
            if let chosen { reports.append((chosen, inventory.totalParameters)) }
        }
        return reports.sorted { a, b in
            guard a.report.verdict == b.report.verdict else { return a.report.verdict > b.report.verdict }
            return (-a.params, -(a.report.decodeTokensPerS ?? 0)) < (-b.params, -(b.report.decodeTokensPerS ?? 0))
        }.map(\.report)
    }

    /// The best quantization of one model that fits, along `ladder`, or the smallest when none
    /// does: what `canrun check MODEL` decides on without a quantization, and the report
    /// `canrun fit MODEL` prints first.
    public static func best(
        request: (String) -> FitEngine.Request,
        engine: FitEngine,
        machine: MachineProfile
    ) throws -> FitReport {
        try FitEngine.check(request(ladder[0]))
        let inventory = TensorInventory(request(ladder[0]).model)
        var failure: (any Error)?
        let best = withoutActuallyEscaping(request) { request in
            FitReports.best(
                ladder.lazy.compactMap { quant -> FitReport? in
                    guard failure == nil else { return nil }
                    do {
                        return try engine.fit(request(quant), machine: machine, inventory: inventory)
                    } catch {
                        failure = error
                        return nil
                    }
                }
            )
        }
        if let failure { throw failure }
        // The ladder is not empty, and a rung that fails to fit throws instead of returning nil.
        guard let best else { throw FitEngine.FitError.unknownQuant(ladder.joined(separator: ", ")) }
        return best
    }

    /// One line per model: the table `canrun` prints.
    public static func table(_ reports: [FitReport]) -> String {
        func pad(_ s: String, _ n: Int) -> String {
            s.padding(toLength: max(n, s.count + 1), withPad: " ", startingAt: 0)
        }
        var lines = [
            pad("model", 32) + pad("quant", 8) + pad("memory", 11) + pad("where", 20) + pad("decode t/s", 12)
                + pad("prefill t/s", 13)
                + pad("max ctx", 9) + "verdict"
        ]
        for r in reports {
            lines.append(
                pad(TerminalText.sanitised(r.model), 32) + pad(r.quant, 8)
                    + pad(ProfileText.bytes(r.memory.totalBytes), 11)
                    + pad(r.placement.mode.rawValue, 20)
                    + pad(r.decodeTokensPerS.map { String(format: "%.1f", $0) } ?? "?", 12)
                    + pad(r.prefillTokensPerS.map { String(format: "%.0f", $0) } ?? "?", 13)
                    + pad("\(r.maxContextTokens)", 9) + r.verdict.words
            )
        }
        return lines.joined(separator: "\n")
    }
}
