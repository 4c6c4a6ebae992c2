import ArgumentParser

@main
struct Canrun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canrun",
        abstract: "Which language models can this machine run, at which quantization, and how fast?",
        discussion: """
            canrun reads this machine's memory, NUMA layout, CPUs and GPUs and answers from measured
            facts. Until the fit engine lands, running `canrun` alone prints the machine profile.

            Examples:
              canrun probe                 # what is in this machine
              canrun probe --json | jq .memory
              sudo canrun probe --record /tmp/box   # take this machine elsewhere
              canrun probe --replay /tmp/box        # ... and read it back anywhere
            """,
        version: CanrunVersion.current,
        subcommands: [ProbeCommand.self, BenchCommand.self, ModelsCommand.self],
        defaultSubcommand: ProbeCommand.self
    )
}

enum CanrunVersion {
    static let current = "0.1.0"
}
