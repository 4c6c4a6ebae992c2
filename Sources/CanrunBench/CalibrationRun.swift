import CanrunCore
import CanrunProbe
import Foundation

/// One calibration of this machine's CPU rates, as `canrun calibrate` and canrund's `POST
/// /v1/calibration` both run it: writes the synthetic model of each family (kept in
/// `modelFolder` for the next time), times it with llama-bench, and fits the rates that make
/// canrun's speed model give the measured speeds (`MachineCalibration.fit`). Blocks for seconds
/// (`quick`) to minutes.
public struct CalibrationRun: Sendable {
    /// The llama-bench to run and how it spells its options.
    public var llamaBench: String
    public var dialect: LlamaBenchPlan.Dialect
    /// CPU threads (`-t`); nil: llama.cpp's own choice, one per physical core.
    public var threads: Int?
    /// Repetitions of each test (`-r`), 1 to 100.
    public var repetitions: Int
    /// 60 M-weight models instead of 0.5 B: seconds instead of minutes, and less exact.
    public var quick: Bool
    /// Run while other programs use the CPUs (their interference is then fitted as this
    /// machine's speed); otherwise a machine busy for 30 s before a family is refused.
    public var allowBusy: Bool
    /// Where the synthetic models are written and kept.
    public var modelFolder: String
    /// Seconds one llama-bench run may take.
    public var timeoutSeconds: TimeInterval = 1800

    public init(
        llamaBench: String,
        dialect: LlamaBenchPlan.Dialect,
        threads: Int? = nil,
        repetitions: Int = 2,
        quick: Bool = false,
        allowBusy: Bool = false,
        modelFolder: String
    ) {
        self.llamaBench = llamaBench
        self.dialect = dialect
        self.threads = threads
        self.repetitions = repetitions
        self.quick = quick
        self.allowBusy = allowBusy
        self.modelFolder = modelFolder
    }

    /// Why a calibration did not come to an end; each says what to do.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }

        static let noBandwidth = Failure(
            "calibrate answers with this machine's measured bandwidth: run canrun bench first"
        )
        static let cancelled = Failure("the calibration was stopped")
    }

    /// Calibrates `machine` (which must carry its measured bandwidth) against `engine`'s shipped
    /// rates. `progress` hears one line per family; `isCancelled` is asked between families.
    public func run(
        machine: MachineProfile,
        engine: FitEngine,
        progress: (String) -> Void = { _ in },
        isCancelled: () -> Bool = { false }
    ) throws(Failure) -> MachineCalibration {
        guard machine.bandwidth != nil else { throw .noBandwidth }
        var measurements: [MachineCalibration.Measurement] = []
        let models =
            MachineCalibration.families.map { (MachineCalibration.model(family: $0, quick: quick), false) }
            + [(MachineCalibration.checkModel(quick: quick), true)]
        for (model, heldOut) in models {
            guard !isCancelled() else { throw .cancelled }
            progress("\(model.weightType)\(heldOut ? " (a check, not fitted)" : ""): writing and timing \(model.name)")
            measurements += try measure(model, heldOut: heldOut, engine: engine, isCancelled: isCancelled)
        }
        var calibration = MachineCalibration.fit(
            measurements,
            table: engine.efficiency,
            quants: engine.quants,
            machine: machine,
            date: Date()
        )
        calibration.llamaBenchPath = llamaBench
        calibration.llamaBenchModified =
            (try? FileManager.default.attributesOfItem(atPath: llamaBench))?[.modificationDate] as? Date
        return calibration
    }

    /// llama-bench's pp512 and tg32 of `model`, written first when it is not in `modelFolder`,
    /// with the request canrun answers each with.
    private func measure(
        _ model: SyntheticModel,
        heldOut: Bool,
        engine: FitEngine,
        isCancelled: () -> Bool
    ) throws(Failure) -> [MachineCalibration.Measurement] {
        // Another program's work would be fitted as this machine's slowness.
        if !allowBusy, let busy = LoadSampler.waitForQuiet(limit: 30, isCancelled: isCancelled),
            busy > CPULoad.busyShare
        {
            throw Failure(
                "calibrate needs a quiet machine: other programs used \(Int((busy * 100).rounded())) % of the CPUs for 30 s; run it when the machine is idle (or allow a busy one)"
            )
        }
        let path: String
        let file: GGUFModel
        do {
            path = try CalibrationStore.syntheticFile(model, quants: engine.quants, in: modelFolder)
            file = try GGUFFiles.model(path, table: engine.quants)
        } catch {
            throw Failure("could not write \(model.name) in \(modelFolder): \(error)")
        }
        var question = FitQuestion()
        question.threads = threads
        var request = question.request(file.spec, quant: file.weights.quant)
        request.weights = file.weights
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
        do {
            return try LlamaBenchRunner.results(llamaBench, plan, timeout: timeoutSeconds).map {
                .init(family: model.weightType, result: $0, request: request, heldOut: heldOut)
            }
        } catch {
            throw Failure(error.description)
        }
    }
}
