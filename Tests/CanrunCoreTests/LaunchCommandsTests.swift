import Testing

@testable import CanrunCore

/// The commands an answer prints to paste (`LaunchCommands`).
struct LaunchCommandsTests {
    @Test func theModelArgument() throws {
        var spec = try FitEngineTests.model("llama-3.1-8b")
        spec.ggufRepo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
        #expect(
            LaunchCommands.modelArgument(spec, quant: "Q4_K_M")
                == "-hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M"
        )
        #expect(LaunchCommands.modelArgument(spec, quant: "Q4_K_M", file: "/m/a b.gguf") == "-m '/m/a b.gguf'")
        spec.ggufRepo = nil
        #expect(LaunchCommands.modelArgument(spec, quant: "Q8_0") == "-m llama-3.1-8b-Q8_0.gguf")
        #expect(LaunchCommands.shellQuoted("it's") == #"'it'\''s'"#)
    }

    /// An 8B Q8_0 with a q8_0 cache on an RTX 4090: every layer offloaded (32 + the output), the
    /// weights from the catalog's GGUF repository.
    @Test func aGPUAnswerPrintsBothCommands() throws {
        let spec = try FitEngineTests.model("llama-3.1-8b")
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [FitEngineTests.rtx4090()])
        let report = try FitEngineTests.engine.fit(
            .init(model: spec, quant: "Q8_0", context: 8192, kvType: "q8_0"),
            machine: machine
        )
        let commands = try #require(report.launchCommands)
        #expect(
            commands.llamaServer
                == "llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q8_0 -ngl 99 -c 8192 -ctk q8_0 -ctv q8_0"
        )
        #expect(commands.ollama.numCtx == 8192)
        #expect(commands.ollama.numGpu == 33)
        #expect(commands.ollama.environment == ["OLLAMA_FLASH_ATTENTION": "1", "OLLAMA_KV_CACHE_TYPE": "q8_0"])
        #expect(commands.ollama.modelfile == "PARAMETER num_ctx 8192\nPARAMETER num_gpu 33")
    }

    @Test func numactlRunsTheServer() {
        let commands = LaunchCommands(
            model: "-m x.gguf",
            flags: "-ngl 0 -c 4096",
            numactl: "--cpunodebind=0 --membind=0",
            context: 4096,
            gpuLayers: 0,
            kvType: "f16",
            flashAttention: false
        )
        #expect(commands.llamaServer == "numactl --cpunodebind=0 --membind=0 llama-server -m x.gguf -ngl 0 -c 4096")
        #expect(commands.ollama.environment == ["OLLAMA_FLASH_ATTENTION": "0"])
    }
}

/// The catalog's GGUF repositories (`gguf_repo`, each with where it was seen in its comment).
struct GGUFRepoCatalogTests {
    @Test func reposAreOwnerSlashName() {
        let repos = ShippedCatalog.catalog.models.compactMap(\.ggufRepo)
        #expect(repos.count >= 70)
        #expect(
            repos.allSatisfy { repo in
                let parts = repo.split(separator: "/")
                return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.contains(" ") }
            }
        )
    }

    /// bartowski's upload of Llama 3.1 8B Instruct (its Q4_K_M and Q8_0 files are referenced
    /// from public code, config/models/llama.toml).
    @Test func aCatalogModelLaunchesFromItsRepo() throws {
        let spec = try FitEngineTests.model("llama-3.1-8b")
        #expect(
            LaunchCommands.modelArgument(spec, quant: "Q4_K_M")
                == "-hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M"
        )
    }
}

/// Names a person types for a catalog model (issue 13).
struct ModelNameTests {
    /// A GGUF repo, the catalog's own or any `OWNER/NAME-GGUF` of a known NAME; an alias answers
    /// as its entry and says so (`answeredAs`).
    @Test(arguments: [
        ("unsloth/Qwen3-30B-A3B-GGUF", "qwen3-30b-a3b"),
        ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "llama-3.1-8b"),
        ("someone/Qwen2.5-Coder-7B-Instruct-GGUF", "qwen2.5-7b"),
        ("qwen2.5-coder-7b", "qwen2.5-7b"),
    ])
    func resolves(_ name: String, _ id: String) {
        #expect(ShippedCatalog.catalog.model(name)?.id == id)
        #expect(ShippedCatalog.catalog.answeredAs(name)?.id == id)
    }

    @Test func anIdIsItsOwnAnswer() {
        #expect(ShippedCatalog.catalog.answeredAs("llama-3.1-8b") == nil)
        #expect(ShippedCatalog.catalog.model("someone/Nothing-Like-It-GGUF") == nil)
        #expect(ShippedCatalog.catalog.model("-gguf") == nil)
    }
}
