import CanrunCore
import CanrunProbe
import Foundation

/// One check of canrun's answer against llama.cpp here, as `canrun verify` and canrund's
/// `POST /v1/verify` both run it: fits a GGUF file on this machine, runs llama-bench with the
/// launch flags the fit recommends (pp512 and tg128 at depth 0 and at `depth`), and sets each
/// measured speed beside canrun's answer for the same test. Blocks for as long as llama-bench
/// runs.
public struct VerificationRun: Sendable {
    /// The llama-bench to run and how it spells its options.
    public var llamaBench: String
    public var dialect: LlamaBenchPlan.Dialect
    /// A second KV depth to test at, tokens; nil: depth 0 only.
    public var depth: Int?
    /// Repetitions of each test (`-r`); nil: llama-bench's 5.
    public var repetitions: Int?
    /// Seconds llama-bench may run.
    public var timeoutSeconds: TimeInterval

    public init(
        llamaBench: String,
        dialect: LlamaBenchPlan.Dialect,
        depth: Int? = nil,
        repetitions: Int? = nil,
        timeoutSeconds: TimeInterval = 3600
    ) {
        self.llamaBench = llamaBench
        self.dialect = dialect
        self.depth = depth
        self.repetitions = repetitions
        self.timeoutSeconds = timeoutSeconds
    }

    /// Why a verification did not come to an end; each says what to do.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Verifies `file` as `question` asks (its context, KV type, flash attention, threads) on
    /// `machine`, answered by `advisor`. `starting` hears the llama-bench arguments before the
    /// run.
    public func run(
        file: String,
        question: FitQuestion,
        advisor: Advisor,
        machine: MachineProfile,
        starting: ([String]) -> Void = { _ in }
    ) throws(Failure) -> Verification {
        guard file.lowercased().hasSuffix(".gguf") else {
            throw Failure(
                "verify runs llama-bench on a model file: give a .gguf file, not '\(file)' (canrun fit answers for catalog names)"
            )
        }
        let gguf: GGUFModel
        do {
            gguf = try GGUFFiles.model(file, table: advisor.engine.quants)
        } catch {
            throw Failure("\(file) is no GGUF model file canrun can read: \(error)")
        }
        var question = question
        question.modelFile = file
        let report: FitReport
        do {
            report = try advisor.report(gguf.spec, fileWeights: gguf.weights, question, machine: machine)
        } catch {
            throw Failure(error.description)
        }
        guard report.fits else {
            throw Failure(
                "\(file) does not fit this machine as canrun answers it (\(report.reasons.first ?? "")): nothing to verify"
            )
        }
        let flags = report.launch["llama.cpp"] ?? ""
        let plan = LlamaBenchPlan(
            modelPath: file,
            launchFlags: flags,
            flashAttention: question.flashAttention,
            depths: [0] + (depth.map { [$0] } ?? []),
            repetitions: repetitions,
            dialect: dialect
        )
        starting(plan.arguments)
        let results: [LlamaBenchResult]
        do {
            results = try LlamaBenchRunner.results(llamaBench, plan, timeout: timeoutSeconds)
        } catch {
            throw Failure(error.description)
        }
        var base = question.request(gguf.spec, quant: gguf.weights.quant)
        base.weights = gguf.weights
        base.kvType = report.kvCacheType
        return Verification(
            date: Date(),
            model: report.model,
            quant: report.quant,
            modelFile: file,
            placement: report.placement.mode.rawValue,
            launchFlags: flags,
            plan: plan,
            results: results,
            predictions: results.map {
                Verification.prediction(for: $0, base: base, engine: advisor.engine, machine: machine)
            }
        )
    }
}
