import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "What this machine can run: the best quantization of each model that fits, best first.",
        discussion: """
            The first run on a machine measures its memory bandwidth (a few seconds) and caches it.

            Examples:
              canrun                        # the same as canrun recommend
              canrun recommend --ctx 32768 --min-tps 10
              canrun recommend --json | jq '.[0]'
            """
    )

    @Option(
        help: """
            Context length in tokens (default: 8192, or a model's trained maximum when smaller; an \
            asked context leaves out the models trained for less).
            """
    )
    var ctx: Int?

    @Option(
        help: """
            Only models that decode at least this many tokens per second (default: each model's \
            quantization aims for 10, reading speed).
            """
    )
    var minTps: Double?

    @Flag(
        help:
            "Also list models that decode under 1 token per second, and models trained for less than --ctx (at their maximum)."
    )
    var all = false

    @Flag(
        help: """
            Allow quantizations that lose heavily (1- and 2-bit types, Q3_K_S, IQ3_XXS: \
            KL divergence above 0.15 on Llama 3 8B).
            """
    )
    var allowHeavyLoss = false

    @Option(help: ArgumentHelp("Answer for a recorded machine (canrun probe --replay input).", valueName: "PATH"))
    var replay: String?

    @Option(help: ArgumentHelp("Answer for a machine profile (canrun probe --json output).", valueName: "FILE.json"))
    var machine: String?

    @Option(help: ArgumentHelp("Answer for a reference machine from config/presets.toml.", valueName: "NAME"))
    var preset: String?

    @OptionGroup var whatIf: WhatIfOptions

    @Flag(help: "Print a JSON array of FitReports.")
    var json = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        try reportingCLIErrors {
            if let ctx, ctx < 1 { throw CLIError(message: "--ctx \(ctx) is no context: it must be at least 1 token") }
            let context = ctx ?? 8192
            var options = try FitOptions.parse([])
            options.replay = replay
            options.machine = self.machine
            options.preset = preset
            options.whatIf = whatIf
            options.daemon = daemon
            let (shipped, _, gpus) = try options.advisor()
            var (machine, calibration) = try options.located(table: gpus)
            let thisMachine = replay == nil && self.machine == nil && preset == nil && whatIf.bandwidth == nil
            if thisMachine, machine.bandwidth == nil {
                machine.bandwidth = measureOnce(machine)
            }
            let advisor = CalibrationLookup.calibrated(shipped, with: calibration, thisMachine: options.isThisMachine)
            let ranking: Recommendations.Ranking
            do throws(AnswerError) {
                ranking = try advisor.recommendations(
                    machine: machine,
                    context: context,
                    minTokensPerSecond: minTps,
                    allowHeavyLoss: allowHeavyLoss,
                    includeSlow: all,
                    includeShortContext: all || ctx == nil,
                    sayShortContext: ctx != nil
                )
            } catch {
                throw CLIError(message: error.description)
            }
            if json {
                print(String(decoding: try ProfileJSON.encoder().encode(ranking.reports), as: UTF8.self))
                return
            }
            let which = options.machineLabel
            print("\(which): \(ProfileText.oneLine(machine))")
            if ranking.reports.isEmpty {
                print("nothing in the catalog fits \(which) at \(context) tokens of context")
            } else {
                print(Recommendations.table(ranking.reports))
            }
            if let line = Recommendations.leftOutLine(ranking, minTokensPerSecond: minTps) { print(line) }
            print(
                "verdicts: runs well from \(ProfileText.decimal(Verdict.runsWellTokensPerS, places: 0)) tokens/s, "
                    + "runs from \(ProfileText.decimal(Verdict.runsTokensPerS, places: 0)); "
                    + "details and launch flags: canrun fit MODEL"
            )
        }
    }

    /// A short first measurement, cached for later runs; nil (speeds unknown) when it fails.
    private func measureOnce(_ machine: MachineProfile) -> BandwidthReport? {
        let (readings, _) = MachineProbe.probe(.init(nvmlLibrary: nil, includePCI: false))
        guard let topology = readings.topology else { return nil }
        if !json { FileHandle.standardError.write(Data("measuring memory bandwidth once (canrun bench)…\n".utf8)) }
        guard
            let report = try? BandwidthBenchmark.measure(
                profile: machine,
                topology: topology,
                options: .init(budgetSeconds: 1.5, quick: true, quietWaitSeconds: 4)
            )
        else { return nil }
        return (try? BandwidthCache(directory: BandwidthCache.userStateDirectory()).store(report)) ?? report
    }
}
