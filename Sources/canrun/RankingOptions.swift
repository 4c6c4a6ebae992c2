import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// The ranking's question, shared by `recommend` and `report`: the context, the speed goal,
/// which models to include, and the machine (this one, a preset, a profile, a recording, with
/// what-if edits).
struct RankingOptions: ParsableArguments {
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

    @OptionGroup var daemon: DaemonOptions

    /// The ranking as asked: the machine's label, the machine (measured once when this machine
    /// has no bandwidth yet; `quiet` says nothing on stderr), the context and the ranking.
    func answer(
        quiet: Bool
    ) throws -> (
        label: String, machine: MachineProfile, context: Int, ranking: Recommendations.Ranking, advisor: Advisor,
        gpus: GPUTable
    ) {
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
            machine.bandwidth = Self.measureOnce(machine, quiet: quiet)
        }
        let advisor = CalibrationLookup.calibrated(shipped, with: calibration, thisMachine: options.isThisMachine)
        do throws(AnswerError) {
            let ranking = try advisor.recommendations(
                machine: machine,
                context: context,
                minTokensPerSecond: minTps,
                allowHeavyLoss: allowHeavyLoss,
                includeSlow: all,
                includeShortContext: all || ctx == nil,
                sayShortContext: ctx != nil
            )
            return (options.machineLabel, machine, context, ranking, advisor, gpus)
        } catch {
            throw CLIError(message: error.description)
        }
    }

    /// A short first measurement, cached for later runs; nil (speeds unknown) when it fails.
    private static func measureOnce(_ machine: MachineProfile, quiet: Bool) -> BandwidthReport? {
        let (readings, _) = MachineProbe.probe(.init(nvmlLibrary: nil, includePCI: false))
        guard let topology = readings.topology else { return nil }
        if !quiet { FileHandle.standardError.write(Data("measuring memory bandwidth once (canrun bench)…\n".utf8)) }
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
