import ArgumentParser
import CanrunCore
import CanrunProbe
import Foundation

/// Where llama-bench comes from, and running it, for verify and calibrate.
struct LlamaBenchOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The llama-bench to run (default: CANRUN_LLAMA_BENCH, PATH, then scripts/build-llama-cpp.sh's cache).",
            valueName: "PATH"
        )
    )
    var llamaBench: String?

    /// The llama-bench to run and how it spells its options.
    func locate() throws -> (path: String, dialect: LlamaBenchPlan.Dialect) {
        do {
            let path = try LlamaBenchRunner.locate(
                explicit: llamaBench,
                environment: ProcessInfo.processInfo.environment
            )
            return (path, LlamaBenchPlan.Dialect(help: try LlamaBenchRunner.help(path)))
        } catch {
            throw CLIError(message: "\(error)")
        }
    }

    /// The tests of `plan` run by `bench`; a failed or unreadable run is a `CLIError`. A build
    /// that does not know its commit gets the one scripts/build-llama-cpp.sh recorded.
    static func run(_ bench: String, _ plan: LlamaBenchPlan, timeout: Int) throws -> [LlamaBenchResult] {
        do {
            var results = try LlamaBenchResult.parse(
                try LlamaBenchRunner.output(bench, plan.arguments, timeout: TimeInterval(timeout))
            )
            if let commit = LlamaBenchRunner.recordedCommit(of: bench) {
                for i in results.indices where results[i].buildCommit == "unknown" { results[i].buildCommit = commit }
            }
            return results
        } catch let error as LlamaBenchRunner.RunError {
            throw CLIError(message: error.description)
        } catch let error as LlamaBenchResult.ParseError {
            throw CLIError(message: error.description)
        }
    }
}
