import CanrunCore

/// canrun's answer for each calibration run, asked as a user would: the run's model and
/// quantization on the run's machine, at llama-bench's context (depth + prompt + generated
/// tokens), through `FitEngine`.
public struct CalibrationCheck: Sendable {
    /// A run with canrun's prediction; `error` is predicted ÷ measured − 1.
    public struct Result: Sendable {
        public var run: CalibrationRun
        public var predicted: Double
        public var placement: PlacementMode
        /// The answer's arithmetic (`FitReport.basis`) and its machine.
        public var basis: FitReport.Basis
        public var machine: MachineProfile
        public var error: Double { predicted / run.tokensPerS - 1 }
    }

    public var results: [Result] = []
    /// Runs canrun gave no figure for, with the reason.
    public var skipped: [(CalibrationRun, String)] = []

    public init(
        _ runs: [CalibrationRun],
        engine: FitEngine,
        machines: CalibrationMachines,
        models: CalibrationModels
    ) {
        for run in runs {
            do {
                let (predicted, report, machine) = try Self.predict(
                    run,
                    engine: engine,
                    machines: machines,
                    models: models
                )
                results.append(
                    Result(
                        run: run,
                        predicted: predicted,
                        placement: report.placement.mode,
                        basis: report.basis,
                        machine: machine
                    )
                )
            } catch {
                skipped.append((run, error.description))
            }
        }
    }

    struct Skip: Error, CustomStringConvertible {
        var description: String
        init(_ why: String) { description = why }
    }

    /// The question a user would ask canrun about `run`, and the machine: the run's model and
    /// quantization at llama-bench's context on its GPU backend.
    static func question(
        _ run: CalibrationRun,
        engine: FitEngine,
        machines: CalibrationMachines,
        models: CalibrationModels
    ) throws(Skip) -> (FitEngine.Request, MachineProfile) {
        if let why = run.exclusion { throw Skip(why) }
        guard let model = models.model(run.modelID) else { throw Skip("model '\(run.modelID)' is not in the catalog") }
        guard engine.quants.namedQuant(run.quant) != nil else {
            throw Skip("quantization '\(run.quant)' is not in quants.toml")
        }
        if let ngl = run.gpuLayers, ngl < model.numHiddenLayers, run.gpuCount > 0 {
            throw Skip("partial offload as asked (-ngl \(ngl))")
        }
        let machine: MachineProfile
        do {
            machine = try machines.profile(for: run)
        } catch {
            throw Skip(error.description)
        }
        // Decode at depth d over n tokens is answered at its middle, d + n / 2 (tg8192 from an
        // empty context reads 4096 tokens of KV on average).
        let context =
            run.isDecode ? run.depth + max(1, run.generatedTokens / 2) : run.depth + run.promptTokens
        // llama-bench runs any context, beyond the trained one too (its speed does not depend on
        // what the model learnt): the question asks for the run's.
        var asked = model
        asked.maxPositionEmbeddings = max(model.maxPositionEmbeddings, context)
        var request = FitEngine.Request(
            model: asked,
            quant: run.quant,
            context: context,
            flashAttention: run.flashAttention
        )
        request.gpuBackend = run.gpuBackend.flatMap(GPUBackend.init(rawValue:))
        request.llamaBuild = run.buildNumber
        request.threads = run.threads
        return (request, machine)
    }

    static func predict(
        _ run: CalibrationRun,
        engine: FitEngine,
        machines: CalibrationMachines,
        models: CalibrationModels
    ) throws(Skip) -> (Double, FitReport, MachineProfile) {
        let (request, machine) = try question(run, engine: engine, machines: machines, models: models)
        let report: FitReport
        do {
            report = try engine.fit(request, machine: machine)
        } catch {
            throw Skip("canrun refused: \(error)")
        }
        guard report.fits else { throw Skip("does not fit (canrun: \(report.placement.mode))") }
        // A prompt of any length after any depth, as `fit`'s speed-at-depth table computes it.
        let figure =
            run.isPrefill
            ? (try? engine.promptTokensPerSecond(
                request,
                machine: machine,
                promptTokens: run.promptTokens,
                depth: run.depth
            )) ?? nil
            : report.decodeTokensPerSAtFullContext
        guard let figure, figure > 0 else { throw Skip("canrun gives no speed (\(report.reasons.last ?? ""))") }
        return (figure, report, machine)
    }
}

/// Median and 90th percentile of relative errors' magnitudes, and the median signed error.
public struct ErrorSummary: Sendable {
    public var count: Int
    public var median: Double
    public var p90: Double
    public var medianSigned: Double

    public init?(_ errors: [Double]) {
        guard !errors.isEmpty else { return nil }
        let magnitudes = errors.map(abs).sorted()
        let signed = errors.sorted()
        count = errors.count
        median = Self.quantile(magnitudes, 0.5)
        p90 = Self.quantile(magnitudes, 0.9)
        medianSigned = Self.quantile(signed, 0.5)
    }

    /// Linear interpolation between the closest ranks.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position)
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
