import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit this machine's own CPU speed rates on llama-bench runs of models canrun writes, and use them.",
        discussion: """
            canrun writes a 0.5 B Llama-shaped model with random weights in each of F16, Q8_0, \
            Q4_0 and Q4_K (kept in ~/.cache/canrun/calibration), times each with llama-bench \
            (a 512-token prompt, 32 generated tokens), and fits the decode rate and prefill \
            efficiency of each family so that canrun's speed model gives the measured speeds. \
            The result is kept in the state folder (calibration.json); fit and recommend then \
            use it on this machine's hardware and say so in the basis. It needs the memory \
            bandwidth measured first (canrun bench).

            Examples:
              canrun calibrate
              canrun calibrate --show
            """
    )

    @Flag(help: "Print the stored calibration (what was measured, when, with which build), run nothing.")
    var show = false

    @Flag(help: "Print the calibration as JSON.")
    var json = false

    @OptionGroup var llama: LlamaBenchOptions

    @Option(help: "CPU threads llama-bench runs (-t); default: llama.cpp's own, one per physical core.")
    var threads: Int?

    @Option(help: "Repetitions of each test (llama-bench -r).")
    var repetitions: Int = 2

    @Flag(help: "Time 60 M-weight models instead of 0.5 B: seconds instead of minutes, and less exact.")
    var quick = false

    @Flag(
        help:
            "Calibrate even while other programs use the CPUs (their interference is then fitted as this machine's speed)."
    )
    var allowBusy = false

    func validate() throws {
        if let threads, !(1...4096).contains(threads) { throw ValidationError("--threads must be 1 to 4096") }
        guard (1...100).contains(repetitions) else { throw ValidationError("--repetitions must be 1 to 100") }
    }

    func run() throws {
        try reportingCLIErrors {
            let store = CalibrationStore(directory: BandwidthCache.userStateDirectory())
            if show {
                let stored: MachineCalibration?
                do {
                    stored = try store.load()
                } catch {
                    throw CLIError(message: "\(error)")
                }
                guard let stored else {
                    throw CLIError(message: "no calibration in \(store.path): run canrun calibrate")
                }
                try print(render(stored, path: store.path))
                return
            }
            var options = try FitOptions.parse([])
            options.threads = threads
            let (advisor, quants, gpus) = try options.advisor()
            let machine = try options.profile(table: gpus)
            guard machine.bandwidth != nil else {
                throw CLIError(
                    message: "calibrate answers with this machine's measured bandwidth: run canrun bench first"
                )
            }
            let (bench, dialect) = try llama.locate()
            let folder = CalibrationStore.cacheDirectory() + "/calibration"
            var measurements: [MachineCalibration.Measurement] = []
            for family in MachineCalibration.families {
                let model = MachineCalibration.model(family: family, quick: quick)
                if !json { print("\(family): writing and timing \(model.name)") }
                // Another program's work would be fitted as this machine's slowness.
                if !allowBusy, let busy = LoadSampler.waitForQuiet(limit: 30, isCancelled: { false }),
                    busy > CPULoad.busyShare
                {
                    throw CLIError(
                        message:
                            "calibrate needs a quiet machine: other programs used \(Int((busy * 100).rounded())) % of the CPUs for 30 s; run it when the machine is idle (or pass --allow-busy)"
                    )
                }
                let path: String
                do {
                    path = try CalibrationStore.syntheticFile(model, quants: quants, in: folder)
                } catch {
                    throw CLIError(message: "could not write \(model.name) in \(folder): \(error)")
                }
                let resolved = try resolveModelFile(path, table: quants)
                guard let weights = resolved.fileWeights else {
                    throw CLIError(message: "\(path) is no model canrun reads")
                }
                var request = options.question.request(resolved.spec, quant: weights.quant)
                request.weights = weights
                let plan = LlamaBenchPlan(
                    modelPath: path,
                    launchFlags: "-ngl 0" + (threads.map { " -t \($0)" } ?? ""),
                    flashAttention: true,
                    depths: [0],
                    repetitions: repetitions,
                    dialect: dialect,
                    promptTokens: MachineCalibration.promptTokens,
                    generatedTokens: MachineCalibration.generatedTokens
                )
                for result in try LlamaBenchOptions.run(bench, plan, timeout: 1800) {
                    measurements.append(.init(family: family, result: result, request: request))
                }
            }
            var calibration = MachineCalibration.fit(
                measurements,
                table: advisor.engine.efficiency,
                quants: quants,
                machine: machine,
                date: Date()
            )
            calibration.llamaBenchPath = bench
            calibration.llamaBenchModified =
                (try? FileManager.default.attributesOfItem(atPath: bench))?[.modificationDate] as? Date
            do {
                try store.save(calibration)
            } catch {
                throw CLIError(message: "the calibration was not kept: \(error)")
            }
            try print(render(calibration, path: store.path))
        }
    }

    func render(_ calibration: MachineCalibration, path: String) throws -> String {
        if json { return String(decoding: try ProfileJSON.encoder().encode(calibration), as: UTF8.self) }
        var lines = [
            calibration.note,
            "\(calibration.threads) threads, memory read \(ProfileText.decimal(Double(calibration.readBytesPerS) / 1e9, places: 1)) GB/s, kept in \(path)",
            "family  test    llama-bench t/s  shipped t/s (ratio)   calibrated t/s (ratio)",
        ]
        func cell(_ predicted: Double?, _ measured: Double) -> String {
            guard let predicted else { return "unknown" }
            return String(format: "%.2f (%.2f)", predicted, measured / predicted)
        }
        for run in calibration.runs {
            lines.append(
                run.family.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + run.test.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + String(format: "%.2f", run.measuredTokensPerS).padding(toLength: 17, withPad: " ", startingAt: 0)
                    + cell(run.predictedBefore, run.measuredTokensPerS).padding(
                        toLength: 22,
                        withPad: " ",
                        startingAt: 0
                    )
                    + cell(run.predictedAfter, run.measuredTokensPerS)
            )
        }
        for family in calibration.cpuWeightsPerCycle.keys.sorted() {
            let eta = calibration.cpuPrefillEta[family].map { String(format: ", prefill η %.3f", $0) } ?? ""
            let perCycle = String(format: "%.2f", calibration.cpuWeightsPerCycle[family] ?? 0)
            lines.append("\(family): decode \(perCycle) weights per cycle (8 lanes)\(eta)")
        }
        return lines.joined(separator: "\n")
    }
}
