import ArgumentParser
import CanrunBench
import CanrunClient
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

            When canrund runs and lets this user (root or its own user), it calibrates instead, \
            with its llama-bench ([llama_cpp] bench in canrun.toml), and every answer then uses \
            its calibration; --llama-bench or --no-daemon calibrates here.

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

    @OptionGroup var daemon: DaemonOptions

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
            if show {
                try print(render(try shown()))
                return
            }
            if llama.llamaBench == nil, let state = try calibratedByDaemon() {
                try print(render(state))
                return
            }
            var options = try FitOptions.parse([])
            options.daemon = daemon
            let (advisor, _, gpus) = try options.advisor()
            let machine = try options.profile(table: gpus)
            let (bench, dialect) = try llama.locate()
            let run = CalibrationRun(
                llamaBench: bench,
                dialect: dialect,
                threads: threads,
                repetitions: repetitions,
                quick: quick,
                allowBusy: allowBusy,
                modelFolder: CalibrationStore.cacheDirectory() + "/calibration"
            )
            let calibration: MachineCalibration
            do throws(CalibrationRun.Failure) {
                calibration = try run.run(
                    machine: machine,
                    engine: advisor.engine,
                    progress: { if !json { print($0) } }
                )
            } catch {
                throw CLIError(message: error.description)
            }
            let store = CalibrationStore(directory: BandwidthCache.userStateDirectory())
            do {
                try store.save(calibration)
            } catch {
                throw CLIError(message: "the calibration was not kept: \(error)")
            }
            try print(render(store.state(for: machine)))
        }
    }

    /// The calibration the answers use: canrund's when it answers, else this user's.
    private func shown() throws -> CalibrationState {
        let state: CalibrationState
        if let served = daemon.calibration() {
            state = served
        } else {
            var options = try FitOptions.parse([])
            options.daemon = daemon
            state = try options.located(table: try options.advisor().2).calibration
        }
        switch state.status {
        case .applied: return state
        case .none: throw CLIError(message: "no calibration in \(state.path): run canrun calibrate")
        case .unusable: throw CLIError(message: state.problem ?? "\(state.path) cannot be used")
        }
    }

    /// canrund's own calibration (what every client then answers with), when it runs, no
    /// llama-bench was named here, and it lets this user; nil: calibrate here.
    private func calibratedByDaemon() throws -> CalibrationState? {
        var query = "quick=\(quick ? 1 : 0)&allow_busy=\(allowBusy ? 1 : 0)&repetitions=\(repetitions)"
        if let threads { query += "&threads=\(threads)" }
        guard let client = daemon.client(timeoutSeconds: 30),
            let answer = client.request("POST", "/v1/calibration?" + query)
        else { return nil }
        switch answer.status {
        case 202:
            break
        case 404, 405:
            // A canrund older than this canrun (upgraded, not restarted) cannot calibrate.
            FileHandle.standardError.write(
                Data("canrund cannot calibrate (restart it after an upgrade); calibrating here\n".utf8)
            )
            return nil
        case 403:
            FileHandle.standardError.write(
                Data(
                    "canrund did not calibrate (HTTP 403: root or its user only); calibrating here: answers through canrund keep its rates, --no-daemon uses these\n"
                        .utf8
                )
            )
            return nil
        default:
            throw CLIError(message: "canrund: " + answer.errorText)
        }
        if !json { print("canrund is calibrating with its llama-bench (GET /v1/health says calibration_run)") }
        struct Health: Decodable {
            var calibrationRun: String?
            var calibrationRunProblem: String?
        }
        while true {
            Thread.sleep(forTimeInterval: 1)
            guard let answer = client.get("/v1/health"), answer.status == 200,
                let health = try? ProfileJSON.decoder().decode(Health.self, from: Data(answer.body))
            else { throw CLIError(message: "canrund stopped answering while it calibrated") }
            switch health.calibrationRun {
            case "running": continue
            case "failed":
                throw CLIError(
                    message: "canrund's calibration failed: \(health.calibrationRunProblem ?? "no reason given")"
                )
            case "finished":
                if let problem = health.calibrationRunProblem {
                    FileHandle.standardError.write(Data("canrund: \(problem)\n".utf8))
                }
                guard let state = daemon.calibration() else {
                    throw CLIError(message: "canrund calibrated but did not say its calibration (GET /v1/calibration)")
                }
                return state
            default:
                // A canrund restarted meanwhile has no run to report.
                throw CLIError(
                    message:
                        "canrund restarted while it calibrated: its calibration is whatever canrun calibrate --show says"
                )
            }
        }
    }

    /// An applied calibration as a table of its runs and rates, or its JSON; any other state as
    /// what it says.
    func render(_ state: CalibrationState) throws -> String {
        guard let calibration = state.calibration else {
            throw CLIError(message: state.problem ?? "no calibration in \(state.path): run canrun calibrate")
        }
        if json { return String(decoding: try ProfileJSON.encoder().encode(calibration), as: UTF8.self) }
        let path = state.path
        var lines = [
            calibration.note(stale: state.stale),
            "\(calibration.threads) threads, memory read \(ProfileText.decimal(Double(calibration.readBytesPerS) / 1e9, places: 1)) GB/s, kept in \(path)",
            "family    test    llama-bench t/s  shipped t/s (ratio)   calibrated t/s (ratio)",
        ]
        func cell(_ predicted: Double?, _ measured: Double) -> String {
            guard let predicted else { return "unknown" }
            return String(format: "%.2f (%.2f)", predicted, measured / predicted)
        }
        for run in calibration.runs {
            lines.append(
                (run.family + (run.heldOut == true ? " MoE" : "")).padding(toLength: 10, withPad: " ", startingAt: 0)
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
        if calibration.heldOutError != nil {
            lines.append("(MoE: the check model, answered with the calibrated rates and not fitted to)")
        }
        for family in calibration.cpuWeightsPerCycle.keys.sorted() {
            let eta = calibration.cpuPrefillEta[family].map { String(format: ", prefill η %.3f", $0) } ?? ""
            let perCycle = String(format: "%.2f", calibration.cpuWeightsPerCycle[family] ?? 0)
            lines.append("\(family): decode \(perCycle) weights per cycle (8 lanes)\(eta)")
        }
        return lines.joined(separator: "\n")
    }
}
