import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Run llama.cpp's llama-bench on a GGUF file as canrun recommends, and print its speeds beside canrun's.",
        discussion: """
            llama-bench runs with the launch flags canrun's fit answers (-ngl, -ot, -ctk/-ctv, -t, \
            --no-mmap, …), a 512-token prompt (pp512) and 128 generated tokens (tg128), at depth 0 \
            and at --depth. The result is kept in the state folder (verifications.json).

            Examples:
              canrun verify model.gguf
              canrun verify model.gguf --depth 4096 --json
              canrun verify model.gguf --llama-bench ~/llama.cpp/build/bin/llama-bench
            """
    )

    @Argument(help: "A GGUF file (split files: the first part): llama-bench runs the real file.")
    var model: String

    @OptionGroup var options: FitOptions

    @Option(help: "Also test at this KV depth, tokens (llama-bench -d).")
    var depth: Int?

    @OptionGroup var llama: LlamaBenchOptions

    @Option(help: "Repetitions of each test (llama-bench -r; default: its 5).")
    var repetitions: Int?

    @Option(help: "Seconds llama-bench may run before it is stopped.")
    var timeout: Int = 3600

    @Flag(help: "Print the verification as JSON.")
    var json = false

    func validate() throws {
        if let depth, !ModelBounds.context.contains(depth) {
            throw ValidationError("--depth must be 1 to \(ModelBounds.context.upperBound) tokens")
        }
        if let repetitions, !(1...100).contains(repetitions) {
            throw ValidationError("--repetitions must be 1 to 100")
        }
        guard (1...86_400).contains(timeout) else { throw ValidationError("--timeout must be 1 to 86400 seconds") }
        // llama-bench runs here: an answer for another machine is nothing to compare it with.
        guard options.isThisMachine else {
            throw ValidationError(
                "verify compares canrun's answer for this machine with llama-bench run here: drop --preset, --machine, --replay and the what-if flags"
            )
        }
    }

    func run() throws {
        try reportingCLIErrors {
            guard model.lowercased().hasSuffix(".gguf") else {
                throw CLIError(
                    message:
                        "verify runs llama-bench on a model file: give a .gguf file, not '\(model)' (canrun fit answers for catalog names)"
                )
            }
            let session = try options.session(for: model)
            guard let file = session.model.file else {
                throw CLIError(message: "\(model) is no GGUF model file canrun can read")
            }
            let (bench, dialect) = try llama.locate()
            let run = VerificationRun(
                llamaBench: bench,
                dialect: dialect,
                depth: depth,
                repetitions: repetitions,
                timeoutSeconds: TimeInterval(timeout)
            )
            let verification: Verification
            do throws(VerificationRun.Failure) {
                verification = try run.run(
                    file: file,
                    question: options.question(for: session.model),
                    advisor: session.advisor,
                    machine: session.machine
                ) { arguments in
                    guard !json else { return }
                    print("\(options.machineLabel): \(ProfileText.oneLine(session.machine))")
                    print("running \(bench) \(arguments.joined(separator: " "))")
                }
            } catch {
                throw CLIError(message: error.description)
            }
            let log = VerificationLog(directory: BandwidthCache.userStateDirectory())
            var stored: String
            do {
                try log.append(verification)
                stored = "kept in \(log.directory)/verifications.json"
            } catch {
                stored = "not kept: \(error)"
            }
            if json {
                print(String(decoding: try ProfileJSON.encoder().encode(verification), as: UTF8.self))
                if stored.hasPrefix("not") { FileHandle.standardError.write(Data("canrun: \(stored)\n".utf8)) }
                return
            }
            print(verification.text)
            if verification.rows.contains(where: { $0.predictedTokensPerS == nil }) {
                print("canrun gives no speed where it has no bandwidth: run canrun bench first")
            }
            print(stored)
        }
    }
}
