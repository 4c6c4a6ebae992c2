import CanrunCalibration
import CanrunCore
import Foundation

/// canrun's shipped model on the published runs of Benchmarks/calibration: per class, how far its
/// decode and prefill answers are from what was measured, and why runs got no answer.
func printCalibrationCheck(
    root: URL,
    engine: FitEngine,
    gpus: GPUTable,
    catalog: ModelCatalog,
    verbose: Bool,
    export: String?,
    write: Bool
) throws {
    let folder = root.appendingPathComponent("Benchmarks/calibration")
    let runs = try CalibrationRun.load(folder: folder.appendingPathComponent("runs"))
    let machines = try CalibrationMachines(
        toml: String(contentsOf: folder.appendingPathComponent("machines.toml"), encoding: .utf8),
        gpus: gpus
    )
    let models = try CalibrationModels(
        toml: String(contentsOf: folder.appendingPathComponent("models.toml"), encoding: .utf8),
        catalog: catalog
    )
    let check = CalibrationCheck(runs, engine: engine, machines: machines, models: models)
    let (decode, gpuHeld) = printDecodeFit(
        DecodeFit(runs, engine: engine, machines: machines, models: models),
        verbose: verbose
    )
    let cpuHeld = printCPUDecodeFit(CPUDecodeFit(runs, engine: engine, machines: machines, models: models))
    if let all = ErrorSummary(gpuHeld + cpuHeld) {
        print(
            String(
                format: "decode, GPUs and CPUs held out alike: %d runs, median %.0f%%, p90 %.0f%%",
                all.count,
                all.median * 100,
                all.p90 * 100
            )
        )
    }
    let prefill = printPrefillFit(
        PrefillFit(runs, engine: engine, machines: machines, models: models),
        verbose: verbose
    )
    if write {
        let path = root.appendingPathComponent("config/efficiency.toml")
        var text = try String(contentsOf: path, encoding: .utf8)
        text = try replacingBlock("GPU decode", in: text, with: decode)
        text = try replacingBlock("GPU prefill", in: text, with: prefill)
        try text.write(to: path, atomically: true, encoding: .utf8)
        print("\nwrote the GPU decode and prefill tables into \(path.path)")
    }
    if let path = export {
        var lines = [
            "class,source_id,label,backend,gpu,gpu_count,model_id,quant,test,depth,tps,predicted,placement,bytes_per_token,bandwidth,eta,tau"
        ]
        for r in check.results {
            let b = r.basis
            let fields: [String] = [
                r.run.machineClass, r.run.sourceID, r.run.label, r.run.backend,
                r.machine.gpus?.first?.name ?? "", "\(r.run.gpuCount)", r.run.modelID, r.run.quant,
                r.run.isPrefill ? "pp\(r.run.promptTokens)" : "tg\(r.run.generatedTokens)", "\(r.run.depth)",
                "\(r.run.tokensPerS)", "\(r.predicted)", r.placement.rawValue, "\(b.bytesPerToken)",
                "\(r.machine.gpus?.first?.bandwidthBytesPerS ?? r.machine.memory.theoreticalBandwidthBytesPerS ?? 0)",
                "\(b.efficiency ?? 0)", "\(b.perLayerSeconds ?? 0)",
            ]
            lines.append(
                fields.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
            )
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
    if verbose {
        for r in check.results.sorted(by: { abs($0.error) > abs($1.error) }) {
            print(String(format: "%+8.1f%%  %@ (%@)", r.error * 100, r.run.label, r.placement.rawValue))
        }
    }
    print("\n== the shipped model on Benchmarks/calibration (\(runs.count) runs, \(check.results.count) answered)")
    print("class         decode: n   median    p90  signed   prefill: n   median    p90  signed")
    func cells(_ s: ErrorSummary?) -> String {
        guard let s else { return "         -        -       -      -" }
        return String(
            format: "%10d %7.0f%% %5.0f%% %+6.0f%%",
            s.count,
            s.median * 100,
            s.p90 * 100,
            s.medianSigned * 100
        )
    }
    let classes = Set(runs.map(\.machineClass)).sorted() + ["all"]
    for name in classes {
        let mine = check.results.filter { name == "all" || $0.run.machineClass == name }
        let decode = ErrorSummary(mine.filter(\.run.isDecode).map(\.error))
        let prefill = ErrorSummary(mine.filter(\.run.isPrefill).map(\.error))
        print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + cells(decode) + "  " + cells(prefill))
    }
    var reasons: [String: Int] = [:]
    if verbose {
        for (run, why) in check.skipped where why.contains("no peak") { print("no peak: \(run.label)") }
    }
    for (_, why) in check.skipped {
        let key = why.replacingOccurrences(of: #"'[^']*'"#, with: "'…'", options: .regularExpression)
            .replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression)
        reasons[key, default: 0] += 1
    }
    print("\nno answer:")
    for (why, count) in reasons.sorted(by: { $0.value > $1.value }) { print(String(format: "%5d  %@", count, why)) }
}

/// The decode fit on the calibration runs: parameters per backend, and leave-one-source-out
/// errors per class (what a machine from an unseen source sees). Returns the fitted tables as
/// config/efficiency.toml's text between its `# >>> GPU decode` and `# <<<` lines, and the
/// held-out errors.
func printDecodeFit(_ fit: DecodeFit, verbose: Bool) -> (block: String, heldOut: [Double]) {
    let parameters = DecodeFit.fit(fit.observations)
    print("\n== decode fit on Benchmarks/calibration (\(fit.observations.count) GPU runs)")
    let held = fit.leaveOneSourceOut()
    let errors = ErrorSummary(held.map { $0.1 / $0.0.run.tokensPerS - 1 })
    var lines = fittedBlockHeader("GPU decode", from: "\(fit.observations.count) decode runs", heldOut: errors)
    for (name, p) in parameters.sorted(by: { $0.key < $1.key }) {
        lines.append("")
        lines.append("[backend.\(name)]")
        lines.append(String(format: "eta = %.4f", p.eta))
        lines.append(String(format: "tau_seconds_per_layer = %.7f", p.tauSecondsPerLayer))
        if let kappa = p.weightsPerFP32Flop { lines.append(String(format: "weights_per_fp32_flop = %.4f", kappa)) }
        lines.append("source = \"\(p.source)\"")
    }
    lines.append("# <<<")
    let block = lines.joined(separator: "\n")
    print(block)
    printHeldOut(held.map { ($0.0.run, $0.1, $0.0.backend) }, verbose: verbose)
    return (block, held.map { $0.1 / $0.0.run.tokensPerS - 1 })
}

/// The CPU decode fit on the CPU-only runs whose machines canrun knows by their memory's
/// theoretical peak: the sustained share of the peak and the threads' synchronisation per layer,
/// every run's held-out error (there are few), and per class. Returns the held-out errors.
func printCPUDecodeFit(_ fit: CPUDecodeFit) -> [Double] {
    print("\n== CPU decode fit on Benchmarks/calibration (\(fit.observations.count) CPU-only runs, memory at its peak)")
    guard let p = fit.fit(fit.observations) else {
        print("no runs")
        return []
    }
    print("[backend.cpu]")
    print(String(format: "peak_read_share = %.2f", p.peakReadShare))
    print(String(format: "tau_seconds_per_layer = %.6f", p.syncSecondsPerLayer))
    print(String(format: "(eta = %.2f against a measured read stays)", fit.eta))
    let held = fit.leaveOneSourceOut()
    for (o, predicted) in held.sorted(by: { $0.0.run.label < $1.0.run.label }) {
        let inSample = 1 / fit.predictedSeconds(o, p) / o.run.tokensPerS - 1
        print(
            String(
                format: "%+8.1f%% held out, %+6.1f%% in-sample  %@",
                (predicted / o.run.tokensPerS - 1) * 100,
                inSample * 100,
                o.run.label
            )
        )
    }
    printHeldOut(held.map { ($0.0.run, $0.1, "cpu") }, verbose: false)
    return held.map { $0.1 / $0.0.run.tokensPerS - 1 }
}

/// The first lines of a fitted block of config/efficiency.toml (`replacingBlock`): its name, what
/// it was fitted from, and the fit's leave-one-source-out errors.
func fittedBlockHeader(_ name: String, from runs: String, heldOut: ErrorSummary?) -> [String] {
    [
        "# >>> \(name), written by `swift run -c release SpeedCalibration --write` from \(runs)",
        String(
            format: "# (leave-one-source-out: median %.0f%%, p90 %.0f%%). Do not edit by hand: refit.",
            (heldOut?.median ?? 0) * 100,
            (heldOut?.p90 ?? 0) * 100
        ),
    ]
}

/// `text` with the lines from `# >>> NAME` to the next `# <<<` replaced by `block`.
func replacingBlock(_ name: String, in text: String, with block: String) throws -> String {
    guard let open = text.range(of: "# >>> " + name),
        let close = text.range(of: "# <<<", range: open.upperBound..<text.endIndex)
    else { throw CalibrationWriteError(block: name) }
    return String(text[..<open.lowerBound]) + block + String(text[close.upperBound...])
}

/// The prefill fit on the calibration runs: η per backend and kernel, the shader, attention,
/// power and MoE expert terms, and leave-one-source-out errors per class. Returns the fitted
/// tables as config/efficiency.toml's text between its `# >>> GPU prefill` and `# <<<` lines.
@discardableResult
func printPrefillFit(_ fit: PrefillFit, verbose: Bool) -> String {
    let parameters = PrefillFit.fit(fit.observations)
    print("\n== prefill fit on Benchmarks/calibration (\(fit.observations.count) prompt runs on GPUs)")
    let held = fit.leaveOneSourceOut()
    let errors = ErrorSummary(held.map { $0.1 / $0.0.run.tokensPerS - 1 })
    let block = prefillTables(parameters, runs: fit.observations.count, heldOut: errors)
    print(block)
    printHeldOut(held.map { ($0.0.run, $0.1, $0.0.key) }, verbose: verbose)
    return block
}

/// The GPU prefill tables of config/efficiency.toml as `parameters` give them.
func prefillTables(_ parameters: PrefillFit.Parameters, runs: Int, heldOut: ErrorSummary?) -> String {
    var lines = fittedBlockHeader("GPU prefill", from: "\(runs) prompt runs", heldOut: heldOut)
    var byBackend: [String: [(String, Double, Int, Int)]] = [:]
    for (key, p) in parameters.eta {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        byBackend[parts[0], default: []].append((parts[1], p.eta, p.runs, p.sources))
    }
    for (backend, kernels) in byBackend.sorted(by: { $0.key < $1.key }) {
        lines.append("")
        lines.append("[prefill.\(backend).kernel]")
        for (kernel, eta, runs, sources) in kernels.sorted(by: { $0.0 < $1.0 }) {
            lines.append(String(format: "%@ = %.4f  # %d runs, %d sources", kernel, eta, runs, sources))
        }
        let shaded = parameters.weightsPerShaderFlop.filter { $0.key.hasPrefix(backend + ".") }
        if !shaded.isEmpty {
            lines.append("")
            lines.append("[prefill.\(backend).weights_per_fp32_flop]")
            for (key, kappa) in shaded.sorted(by: { $0.key < $1.key }) {
                lines.append(String(format: "%@ = %.4f", String(key.dropFirst(backend.count + 1)), kappa))
            }
        }
    }
    if !parameters.attentionEta.isEmpty {
        lines.append("")
        lines.append("[prefill.flash_attention_eta]")
        for (backend, eta) in parameters.attentionEta.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "%@ = %.4f", backend, eta))
        }
    }
    if !parameters.sustainedWattsPerFP32Teraflop.isEmpty {
        lines.append("")
        lines.append("[prefill.sustained_watts_per_fp32_tflop]")
        for (architecture, watts) in parameters.sustainedWattsPerFP32Teraflop.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "\"%@\" = %.3f", architecture, watts))
        }
    }
    if let half = parameters.expertHalfBatchTokens {
        lines.append("")
        lines.append("[prefill_experts]")
        lines.append(String(format: "half_batch_tokens = %.2f", half))
    }
    lines.append("# <<<")
    return lines.joined(separator: "\n")
}

/// Per machine class, the errors of runs predicted by a fit that did not see their source; with
/// `verbose`, each run first, worst first, with what it was fitted as.
func printHeldOut(_ held: [(run: CalibrationRun, predicted: Double, key: String)], verbose: Bool) {
    if verbose {
        for (run, predicted, key) in held.sorted(by: {
            abs($0.predicted / $0.run.tokensPerS - 1) > abs($1.predicted / $1.run.tokensPerS - 1)
        }) {
            print(String(format: "%+8.1f%%  %@ (%@)", (predicted / run.tokensPerS - 1) * 100, run.label, key))
        }
    }
    print("leave-one-source-out   n   median    p90  signed")
    for name in Set(held.map(\.run.machineClass)).sorted() + ["all"] {
        let errors = held.filter { name == "all" || $0.run.machineClass == name }.map {
            $0.predicted / $0.run.tokensPerS - 1
        }
        guard let s = ErrorSummary(errors) else { continue }
        let figures = String(
            format: "%5d %7.0f%% %5.0f%% %+6.0f%%",
            s.count,
            s.median * 100,
            s.p90 * 100,
            s.medianSigned * 100
        )
        print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + figures)
    }
}

/// config/efficiency.toml has lost the lines that bound a fitted block.
struct CalibrationWriteError: Error, CustomStringConvertible {
    var block: String
    var description: String {
        "config/efficiency.toml has no '# >>> \(block)' … '# <<<' lines to replace; restore them from git"
    }
}
