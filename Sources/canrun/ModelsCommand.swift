import ArgumentParser
import CanrunCore
import CanrunProbe
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models canrun knows, with parameter counts computed from their shapes.",
        discussion: """
            The catalog is config/models/*.toml plus /etc/canrun/models.d/ and \
            ~/.config/canrun/models.d/ (later files override earlier ones by id).

            Examples:
              canrun models
              canrun models --json | jq '.[] | select(.params_active < 4e9) | .id'
              canrun models show llama-3.1-8b
              canrun models show Qwen/Qwen3-30B-A3B --json
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the catalog.")

        @Flag(help: "Print a JSON array (GET /v1/models).")
        var json = false

        @Flag(
            help:
                "List the models already on this disk (Ollama, the Hugging Face cache, LM Studio, CANRUN_MODEL_DIRS) instead of the catalog."
        )
        var local = false

        func run() throws {
            try reportingCLIErrors {
                if local {
                    let (_, table) = try loadCatalog()
                    let models = LocalModels.discover(.standard(), table: table)
                    if json {
                        print(String(decoding: try ProfileJSON.encoder().encode(models), as: UTF8.self))
                    } else if models.isEmpty {
                        print(
                            "no local models found (looked in Ollama's store, the Hugging Face cache, LM Studio's folder and CANRUN_MODEL_DIRS)"
                        )
                    } else {
                        for m in models {
                            print(
                                "\(m.source.padding(toLength: 12, withPad: " ", startingAt: 0))\(TerminalText.sanitised(m.name))  \(m.quant ?? m.format)  \(ProfileText.bytes(m.bytes))  \(TerminalText.sanitised(m.path, limit: 4096))"
                            )
                        }
                    }
                    return
                }
                let (catalog, _) = try loadCatalog()
                let summaries = catalog.models.map { ModelSummary($0) }
                if json {
                    print(String(decoding: try ProfileJSON.encoder().encode(summaries), as: UTF8.self))
                    return
                }
                print(ModelText.table(summaries))
                for problem in catalog.problems {
                    FileHandle.standardError.write(
                        Data("warning: \(TerminalText.sanitised(problem, limit: 4096))\n".utf8)
                    )
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "One model: shapes, parameters, weight bytes per quantization, KV cache per token."
        )

        @Argument(
            help:
                "A catalog id, a Hugging Face repo name, a .gguf file (split files: the first part), or a config.json (or its folder)."
        )
        var model: String

        @Flag(help: "Print the JSON object (GET /v1/models/{id}).")
        var json = false

        func run() throws {
            try reportingCLIErrors {
                let (catalog, table) = try loadCatalog()
                if model.hasSuffix(".gguf") || FileManager.default.fileExists(atPath: model) {
                    try showFile(table: table)
                    return
                }
                let spec: ModelSpec
                do throws(ModelLookupError) {
                    spec = try catalog.resolve(model)
                } catch {
                    throw CLIError(
                        message: [error.description, error.didYouMean].compactMap { $0 }.joined(separator: "; ")
                    )
                }
                let summary = ModelSummary(spec, detailed: true, table: table)
                if json {
                    print(String(decoding: try ProfileJSON.encoder().encode(summary), as: UTF8.self))
                } else {
                    print(ModelText.detail(summary, spec: spec))
                }
            }
        }
    }
}

extension ModelsCommand.Show {
    /// A model file: a GGUF (its header and tensor table; never the weights).
    func showFile(table: QuantTable) throws {
        let file = try resolveModelFile(model, table: table)
        let spec = file.spec
        let summary =
            file.gguf.map { ModelSummary($0, table: table) } ?? ModelSummary(spec, detailed: true, table: table)
        if let quantization = file.storedAs {
            FileHandle.standardError.write(
                Data(
                    "note: the checkpoint is stored as \(quantization.method) (\(quantization.bits.map { "\($0)-bit" } ?? "?")); sizes below are for GGUF quantizations of it\n"
                        .utf8
                )
            )
        }
        if json {
            print(String(decoding: try ProfileJSON.encoder().encode(summary), as: UTF8.self))
        } else {
            print(ModelText.detail(summary, spec: spec))
        }
    }
}

private func loadCatalog() throws -> (ModelCatalog, QuantTable) {
    do {
        return try CatalogFiles.shipped()
    } catch {
        throw CLIError(message: "\(error)")
    }
}
