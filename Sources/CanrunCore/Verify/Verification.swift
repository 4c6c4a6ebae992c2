import Foundation

/// canrun's prediction beside a real llama.cpp run on this machine (`canrun verify`): each
/// llama-bench test with what canrun answers for it and the ratio. Stored in the state folder
/// (`verifications.json`) and printed as a table.
public struct Verification: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        /// llama-bench's test name: `pp512`, `tg128 @ d4096`.
        public var test: String
        public var depth: Int
        /// canrun's tokens per second; nil when it gives none (no bandwidth measured yet).
        public var predictedTokensPerS: Double?
        public var measuredTokensPerS: Double
        public var measuredStddevTokensPerS: Double
        /// measured ÷ predicted: above 1, llama.cpp is faster than canrun said.
        public var ratio: Double?
    }

    public var date: Date
    public var model: String
    public var quant: String
    public var modelFile: String
    /// canrun's placement (`cpu`, `gpu`, …) and the launch flags it recommends.
    public var placement: String
    public var launchFlags: String
    public var benchArguments: [String]
    public var omittedFlags: [String]
    public var llamaBuildCommit: String
    public var llamaBuildNumber: Int
    public var backends: String
    public var threads: Int
    public var rows: [Row]

    public init(
        date: Date,
        model: String,
        quant: String,
        modelFile: String,
        placement: String,
        launchFlags: String,
        plan: LlamaBenchPlan,
        results: [LlamaBenchResult],
        predictions: [Double?]
    ) {
        self.date = date
        self.model = model
        self.quant = quant
        self.modelFile = modelFile
        self.placement = placement
        self.launchFlags = launchFlags
        self.benchArguments = plan.arguments
        self.omittedFlags = plan.omitted
        llamaBuildCommit = results.first?.buildCommit ?? "unknown"
        llamaBuildNumber = results.first?.buildNumber ?? 0
        backends = results.first?.backends ?? ""
        threads = results.first?.threads ?? 0
        rows = zip(results, predictions).map { result, predicted in
            Row(
                test: result.test,
                depth: result.depth,
                predictedTokensPerS: predicted,
                measuredTokensPerS: result.tokensPerS,
                measuredStddevTokensPerS: result.stddevTokensPerS,
                ratio: predicted.flatMap { $0 > 0 ? result.tokensPerS / $0 : nil }
            )
        }
    }

    /// The request canrun answers one llama-bench test with: the verified request at the
    /// test's context (llama-bench sizes it to depth + tokens), its threads as llama-bench ran
    /// them, and a trained context stretched to it (llama-bench runs past it; speed does not
    /// depend on what the model learnt). Decode is answered at its middle, depth + n ÷ 2.
    public static func request(for result: LlamaBenchResult, base: FitEngine.Request) -> FitEngine.Request {
        var request = base
        request.context =
            result.isDecode
            ? result.depth + max(1, result.generatedTokens / 2) : result.depth + result.promptTokens
        request.model.maxPositionEmbeddings = max(request.model.maxPositionEmbeddings, request.context)
        if result.threads > 0 { request.threads = result.threads }
        request.choosesKVType = false
        request.searchesMaxContext = false
        return request
    }

    /// canrun's tokens per second for `result`'s test; nil when it gives none.
    public static func prediction(
        for result: LlamaBenchResult,
        base: FitEngine.Request,
        engine: FitEngine,
        machine: MachineProfile
    ) -> Double? {
        let request = request(for: result, base: base)
        if result.isDecode {
            return (try? engine.fit(request, machine: machine))?.decodeTokensPerSAtFullContext
        }
        return
            (try? engine.promptTokensPerSecond(
                request,
                machine: machine,
                promptTokens: result.promptTokens,
                depth: result.depth
            )) ?? nil
    }

    /// The table a person reads: one line per test.
    public var text: String {
        var lines = [
            "llama-bench \(llamaBuildNumber > 0 ? "b\(llamaBuildNumber) " : "")(\(llamaBuildCommit)), \(backends), \(threads) threads: "
                + benchArguments.joined(separator: " "),
            "test".padding(toLength: 16, withPad: " ", startingAt: 0) + "canrun t/s".leftAligned(12)
                + "llama-bench t/s".leftAligned(20) + "measured/predicted",
        ]
        for row in rows {
            let predicted = row.predictedTokensPerS.map { String(format: "%.2f", $0) } ?? "unknown"
            let measured = String(format: "%.2f ± %.2f", row.measuredTokensPerS, row.measuredStddevTokensPerS)
            let ratio = row.ratio.map { String(format: "%.2f", $0) } ?? "-"
            lines.append(
                row.test.padding(toLength: 16, withPad: " ", startingAt: 0) + predicted.leftAligned(12)
                    + measured.leftAligned(20) + ratio
            )
        }
        for omitted in omittedFlags { lines.append("not passed to llama-bench: \(omitted)") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftAligned(_ width: Int) -> String {
        count >= width ? self + " " : padding(toLength: width, withPad: " ", startingAt: 0)
    }
}
