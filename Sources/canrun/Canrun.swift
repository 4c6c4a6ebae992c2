import ArgumentParser
import CanrunCore
import CanrunProbe
import Foundation

@main
struct Canrun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canrun",
        abstract: "Which language models can this machine run, at which quantization, and how fast?",
        discussion: """
            canrun reads this machine's memory, NUMA layout, CPUs and GPUs and answers from measured \
            facts. Running `canrun` alone lists what this machine can run.

            Examples:
              canrun                       # what this machine can run, best first
              canrun fit qwen3-30b-a3b     # one model: memory, placement, speed, launch
              canrun check llama-3.1-8b --min-tps 10 && deploy
              canrun probe                 # what is in this machine
              canrun probe --json | jq .memory
              sudo canrun probe --record /tmp/box   # take this machine elsewhere
              canrun probe --replay /tmp/box        # ... and read it back anywhere
            """,
        version: CanrunVersion.current,
        subcommands: [
            RecommendCommand.self, ProbeCommand.self, BenchCommand.self, ModelsCommand.self, FitCommand.self,
            CheckCommand.self, VerifyCommand.self, CalibrateCommand.self, ReportCommand.self, ConfigCommand.self,
            AdminCommand.self,
        ],
        defaultSubcommand: RecommendCommand.self
    )

    /// ArgumentParser's own `main`, but a usage error (an unknown option, a bad value) exits 2
    /// as the CLI promises scripts (`canrun check … || …` tells 1, does not fit, from 2, bad
    /// input), not sysexits' 64.
    static func main() {
        // The version with its commit and data digest (reading the data costs a millisecond,
        // so only when asked).
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            print(BuildInfoReader.read().text(program: "canrun"))
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
