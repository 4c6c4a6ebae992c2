import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// Options every fit-style command shares.
struct FitOptions: ParsableArguments {
    @Option(
        help: """
            Quantization (Q4_K_M, Q8_0, …); default: the highest-quality one that loses little, \
            fits and decodes at --min-tps, else the fastest of those that fit.
            """
    )
    var quant: String?

    @Option(
        help: """
            Decode speed, tokens per second: what the default quantization aims for (default: 10, \
            reading speed) and, for check, what it requires.
            """
    )
    var minTps: Double?

    @Option(
        help: """
            Sequences served at once (llama-server --parallel): the context is split over them, \
            and decode is given per stream and summed.
            """
    )
    var parallel: Int = 1

    @Flag(
        help: """
            Allow quantizations that lose heavily (1- and 2-bit types, Q3_K_S, IQ3_XXS: KL \
            divergence above 0.15 on Llama 3 8B) as the default answer.
            """
    )
    var allowHeavyLoss = false

    @Option(help: "Context length in tokens (default: 8192, or the model's trained maximum when smaller).")
    var ctx: Int?

    @Option(
        help: """
            KV cache type: f16, q8_0, q4_0, … (default: f16, or q8_0 where only that fits; a faster \
            launch with q8_0 is named beside the answer).
            """
    )
    var kv: String?

    @Option(
        name: .customLong("flash-attn"),
        help: ArgumentHelp(
            "Flash attention as llama.cpp will run: on (its default 'auto' on CPU, CUDA and Metal) or off.",
            valueName: "on|off"
        )
    )
    var flashAttention: FlashAttention = .on

    enum FlashAttention: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    @Option(
        help: ArgumentHelp(
            "The llama.cpp GPU backend to answer for (default: CUDA on NVIDIA, ROCm on AMD, Metal on Apple, Vulkan elsewhere).",
            valueName: "cuda|rocm|vulkan|metal"
        )
    )
    var backend: GPUBackend?

    @Option(
        name: .customLong("llama-build"),
        help: ArgumentHelp(
            "The llama.cpp build to answer for, its release number (b3100 or 3100); default: a current one.",
            valueName: "N"
        )
    )
    var llamaBuild: LlamaBuild?

    @Option(
        name: .customLong("threads"),
        help: ArgumentHelp(
            "CPU threads llama.cpp will run (-t); default: one per physical core, as llama.cpp does.",
            valueName: "N"
        )
    )
    var threads: Int?

    /// A llama.cpp release number, `b3100` or `3100` (`ModelBounds.llamaBuild`).
    struct LlamaBuild: ExpressibleByArgument {
        var number: Int
        init?(argument: String) {
            guard let n = ModelBounds.llamaBuild(argument) else { return nil }
            number = n
        }
    }

    /// The question about `model`: these options, and its GGUF file for the launch line.
    func question(for model: ResolvedModel) -> FitQuestion {
        var question = question.withImpliedQuant(model.impliedQuant)
        question.modelFile = model.file
        return question
    }

    /// The question these options ask, as the answer layer (and canrund) takes it.
    var question: FitQuestion {
        FitQuestion(
            quant: quant,
            context: ctx,
            kvType: kv,
            flashAttention: flashAttention == .on,
            gpuBackend: backend,
            llamaBuild: llamaBuild?.number,
            threads: threads,
            minTokensPerSecond: minTps,
            allowHeavyLoss: allowHeavyLoss
        )
        .withParallel(parallel)
    }

    @Option(
        help: ArgumentHelp(
            "Answer for a recorded machine: a folder or file canrun probe --replay reads.",
            valueName: "PATH"
        )
    )
    var replay: String?

    @Option(help: ArgumentHelp("Answer for a machine profile (canrun probe --json output).", valueName: "FILE.json"))
    var machine: String?

    @Option(help: ArgumentHelp("Answer for a reference machine from config/presets.toml.", valueName: "NAME"))
    var preset: String?

    @OptionGroup var whatIf: WhatIfOptions

    @OptionGroup var daemon: DaemonOptions

    /// Which machine the answer is about, for the line that names it.
    var machineLabel: String {
        let base =
            preset.map { "preset \($0)" } ?? machine.map { "machine \($0)" } ?? replay.map { "replay \($0)" }
            ?? "this machine"
        let edits = (try? whatIf.edits()) ?? MachineEdits()
        return edits.isEmpty ? base : "\(base) (\(edits))"
    }

    /// The machine to answer for: a profile file, a replay, or this machine (with its cached
    /// bandwidth measurement).
    /// - Parameter presets: the reference machines when the caller has loaded them already.
    func profile(table: GPUTable, presets loaded: HardwarePresets? = nil) throws -> MachineProfile {
        try located(table: table, presets: loaded).machine
    }

    /// The machine to answer for (`profile`) and the calibration that answers with it: canrund's
    /// when canrund gave the machine, so that both answer alike, else the user's own.
    func located(
        table: GPUTable,
        presets loaded: HardwarePresets? = nil
    ) throws -> (machine: MachineProfile, calibration: CalibrationState) {
        let (base, daemonCalibration) = try baseProfile(table: table, presets: loaded)
        let machine = try edited(base, table: table)
        let calibration =
            daemonCalibration.map { $0.restricted(to: HardwareFingerprint.of(machine)) }
            ?? CalibrationLookup.userState(for: machine)
        return (machine, calibration)
    }

    /// `base` with the what-if edits.
    private func edited(_ base: MachineProfile, table: GPUTable) throws -> MachineProfile {
        let edits = try whatIf.edits()
        guard !edits.isEmpty else { return base }
        let edited: MachineProfile
        do {
            edited = try edits.applied(to: base, table: table)
        } catch {
            throw CLIError(
                message:
                    "--gpu '\(error.name)' is not in config/gpus.toml: name a card it lists (e.g. 'GeForce RTX 4090')"
            )
        }
        // The edits pass the bounds every profile file passes (PhysicalBounds): --ram 900000T is
        // no machine.
        do {
            return try edited.validated()
        } catch {
            throw CLIError(message: "the what-if flags describe no machine: \(error)")
        }
    }

    /// The machine before the what-if edits, and canrund's calibration when canrund gave it.
    private func baseProfile(
        table: GPUTable,
        presets loaded: HardwarePresets?
    ) throws -> (MachineProfile, CalibrationState?) {
        if let profile = try describedProfile(table: table, presets: loaded) { return (profile, nil) }
        if let profile = daemon.machine() {
            // A daemon that gave the machine but no calibration answers with the shipped rates.
            return (profile, daemon.calibration() ?? .none(path: "canrund's state directory"))
        }
        return (probedProfile(table: table), nil)
    }

    /// This machine probed here, with the user's cached bandwidth measurement.
    private func probedProfile(table: GPUTable) -> MachineProfile {
        var profile = ProfileAssembler.assemble(MachineProbe.probe().readings, gpuTable: table)
        let cache = BandwidthCacheLookup.userCache()
        profile.bandwidth = cache(profile)
        return profile
    }

    /// The machine a preset, a profile file or a recording describes; nil: none was named.
    private func describedProfile(table: GPUTable, presets loaded: HardwarePresets?) throws -> MachineProfile? {
        if let preset {
            let presets = try loaded ?? loadPresets(gpus: table)
            guard let found = presets.preset(named: preset) else {
                throw CLIError(
                    message:
                        "unknown preset '\(preset)'; presets: \(presets.presets.map(\.name).joined(separator: ", "))"
                )
            }
            return found.profile
        }
        if let machine {
            let data: Data
            do {
                data = Data(try SafeFile.bytes(machine, limit: .machineProfile, followingLastLink: true))
            } catch {
                throw CLIError(message: "\(error)")
            }
            do {
                return try ProfileJSON.decoder().decode(MachineProfile.self, from: data).validated()
                    .completingGPUs(from: table)
            } catch let invalid as MachineProfile.ValidationError {
                throw CLIError(message: "\(machine): \(invalid)")
            } catch let unknown as UnknownGPU {
                throw CLIError(message: "\(machine): \(unknown)")
            } catch {
                throw CLIError(message: "\(machine) is not a canrun machine profile (canrun probe --json): \(error)")
            }
        }
        if let replay {
            do {
                var profile = ProfileAssembler.assemble(try ReplaySource.read(replay), gpuTable: table)
                // A recording made with `canrun probe --record` carries the machine's last
                // measurement (bandwidth.json), so its speeds are answered.
                if case .hit(let report) = BandwidthCache(directory: replay).load(for: profile) {
                    profile.bandwidth = report
                }
                return profile
            } catch {
                throw CLIError(message: "\(error)")
            }
        }
        return nil
    }

    /// What a fit-style command loads once (tables, the model, the machine — a live probe) and
    /// then uses for the report and every table after it.
    struct Session {
        var advisor: Advisor
        var gpus: GPUTable
        var model: ResolvedModel
        var machine: MachineProfile
        /// `--ctx`, else 8192 or the model's trained maximum when smaller.
        var context: Int
        /// The reference machines, loaded when `--preset` named one.
        var presets: HardwarePresets?
    }

    /// Whether the answer is about this machine as it is (no preset, file, recording or edit).
    var isThisMachine: Bool {
        preset == nil && machine == nil && replay == nil && ((try? whatIf.edits().isEmpty) ?? false)
    }

    func session(for model: String) throws -> Session {
        let (shipped, quants, gpus) = try advisor()
        let resolved = try resolveModel(model, advisor: shipped, table: quants)
        let presets = try preset.map { _ in try loadPresets(gpus: gpus) }
        let (machine, calibration) = try located(table: gpus, presets: presets)
        let advisor = CalibrationLookup.calibrated(shipped, with: calibration, thisMachine: isThisMachine)
        return Session(
            advisor: advisor,
            gpus: gpus,
            model: resolved,
            machine: machine,
            context: question.context(for: resolved.spec),
            presets: presets
        )
    }

    /// The one report for `model` with these options: the asked quantization, a GGUF file as it
    /// is, or the best that fits (`Advisor.report`).
    func report(for model: String) throws -> FitReport { try report(in: session(for: model)) }

    func report(in session: Session) throws -> FitReport {
        do {
            return try session.advisor.report(
                session.model.spec,
                fileWeights: session.model.fileWeights,
                question(for: session.model),
                machine: session.machine
            )
        } catch {
            throw CLIError(message: error.description)
        }
    }

    /// The whole answer (`Advisor.fit`): one report, or one per rung of the ladder.
    func answer(in session: Session) throws -> FitAnswer {
        do {
            return try session.advisor.fit(
                session.model.spec,
                fileWeights: session.model.fileWeights,
                question(for: session.model),
                machine: session.machine
            )
        } catch {
            throw CLIError(message: error.description)
        }
    }

    func advisor() throws -> (Advisor, QuantTable, GPUTable) {
        do {
            let (catalog, quants) = try CatalogFiles.shipped()
            let efficiency = try DataDirectory.efficiencyTable()
            let engine = FitEngine(quants: quants, efficiency: efficiency)
            return (Advisor(engine: engine, catalog: catalog), quants, try DataDirectory.gpuTable())
        } catch {
            throw CLIError(message: "\(error)")
        }
    }
}

/// The shipped reference machines.
func loadPresets(gpus: GPUTable) throws -> HardwarePresets {
    do {
        return try DataDirectory.presets(gpus: gpus)
    } catch {
        throw CLIError(message: "\(error)")
    }
}

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Where one model runs on this machine (or a recorded one), in what memory, and how fast.",
        discussion: """
            Examples:
              canrun fit llama-3.1-8b          # the quantization to run, at 8192 tokens
              canrun fit qwen3-30b-a3b --quant Q4_K_M --ctx 32768 --json
              canrun fit deepseek-r1 --replay server-recording/
              canrun fit llama-3.3-70b --preset rtx-4090   # a reference machine

            Text output ends with every quantization on the machine asked about, and a speed \
            matrix across the reference machines.
            """
    )

    @Argument(help: "A catalog id, a .gguf file, or a config.json (or its folder).")
    var model: String

    @OptionGroup var options: FitOptions

    @Flag(
        help: """
            Print JSON: the FitReport when the quantization is known (--quant, or a GGUF file's), \
            else {"model", "reports": [a FitReport per quantization]}, as GET /v1/fit answers.
            """
    )
    var json = false

    func run() throws {
        try reportingCLIErrors {
            let session = try options.session(for: model)
            let answer = try options.answer(in: session)
            if json {
                let encoder = ProfileJSON.encoder()
                let data =
                    switch answer {
                    case .one(let report): try encoder.encode(report)
                    case .every(let reports): try encoder.encode(reports)
                    }
                print(String(decoding: data, as: UTF8.self))
                return
            }
            guard let headline = answer.headline else { return }
            if session.model.gguf == nil, session.advisor.catalog.model(model) == nil,
                let architecture = session.model.spec.architecture,
                !session.advisor.catalog.models.contains(where: { $0.architecture == architecture })
            {
                FileHandle.standardError.write(
                    Data(
                        ("warning: \(TerminalText.sanitised(architecture)) is no architecture canrun's catalog holds: "
                            + "answered from config.json's shapes as a standard decoder (attention and feed-forward per "
                            + "layer), so what it does differently is not counted\n").utf8
                    )
                )
            }
            if session.model.gguf == nil, session.model.storedAs == nil,
                let entry = session.advisor.catalog.answeredAs(model)
            {
                if let quant = session.model.impliedQuant, options.quant == nil {
                    print(
                        "\(TerminalText.sanitised(model)) is Ollama's name for \(entry.id) at \(quant) (the quantization "
                            + "its tag ships): answered as that catalog entry"
                    )
                } else {
                    print(
                        "\(TerminalText.sanitised(model)) is answered as \(entry.id), the catalog entry that lists it (same shapes)"
                    )
                }
            }
            print("\(options.machineLabel): \(ProfileText.oneLine(session.machine))")
            print(FitText.render(headline))
            let spec = session.model.spec
            let table: [FitReport]
            switch answer {
            case .every(let every):
                table = every.reports
            case .one:
                let inventory = TensorInventory(spec)
                let engine = session.advisor.engine
                table = Recommendations.ladder(for: spec, quants: engine.quants).compactMap { quant in
                    try? engine.fit(
                        options.question.request(spec, quant: quant),
                        machine: session.machine,
                        inventory: inventory
                    )
                }
            }
            print("\nevery quantization at \(session.context) tokens on \(options.machineLabel):")
            print(Recommendations.table(table))
            let rows = SpeedMatrix.rows(
                model: spec,
                presets: try (session.presets ?? loadPresets(gpus: session.gpus)).presets,
                engine: session.advisor.engine,
                context: session.context,
                kvType: options.kv
            )
            print("")
            print(SpeedMatrix.table(rows, context: session.context))
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "For scripts: exit 0 when the model fits and meets the speed goal, 1 when not, 2 on bad input.",
        discussion: """
            Example:
              canrun check llama-3.1-8b --quant Q4_K_M --ctx 16384 --min-tps 20 && deploy
            """
    )

    @Argument(help: "A catalog id, a .gguf file, or a config.json (or its folder).")
    var model: String

    @OptionGroup var options: FitOptions

    func run() throws {
        var outcome: (Bool, String) = (false, "")
        try reportingCLIErrors {
            outcome = CheckRule.decide(try options.report(for: model), minTokensPerSecond: options.minTps)
        }
        FileHandle.standardError.write(Data((outcome.1 + "\n").utf8))
        if !outcome.0 { throw ExitCode(1) }
    }
}

extension GPUBackend: ExpressibleByArgument {}

/// Quick what-if edits of the machine asked about, shared by every answering command.
struct WhatIfOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "What if the machine also had this GPU (a name in config/gpus.toml; repeatable).",
            valueName: "NAME"
        )
    )
    var gpu: [String] = []

    @Option(
        help: ArgumentHelp(
            "What if the machine had this much RAM (64GiB, 512G; a bare number is GiB).",
            valueName: "SIZE"
        )
    )
    var ram: String?

    @Option(help: ArgumentHelp("What if the machine had this many CPU cores.", valueName: "N"))
    var cpuCores: Int?

    @Option(
        help: ArgumentHelp(
            "What if the memory's theoretical peak were this (96, 96GB/s; replaces any measurement).",
            valueName: "RATE"
        )
    )
    var bandwidth: String?

    /// The quick what-if edits asked (`--gpu`, `--ram`, `--cpu-cores`, `--bandwidth`).
    func edits() throws -> MachineEdits {
        var edits = MachineEdits(gpus: gpu, cpuCores: cpuCores)
        if let ram {
            guard let bytes = MachineEdits.size(ram) else {
                throw CLIError(message: "--ram \(ram) is no size: write it as 64GiB, 512G or 64")
            }
            edits.ramBytes = bytes
        }
        if let bandwidth {
            guard let rate = MachineEdits.rate(bandwidth) else {
                throw CLIError(message: "--bandwidth \(bandwidth) is no rate: write it as 96GB/s or 96")
            }
            edits.bandwidthBytesPerS = rate
        }
        if let cpuCores, !(1...ModelBounds.threads.upperBound).contains(cpuCores) {
            throw CLIError(message: "--cpu-cores \(cpuCores) must be from 1 to \(ModelBounds.threads.upperBound)")
        }
        return edits
    }
}
