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
}
