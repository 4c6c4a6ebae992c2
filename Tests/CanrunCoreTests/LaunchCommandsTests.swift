import Foundation
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

/// Contexts beyond training where the model documents YaRN (Qwen3's card: 32,768 native, 131,072
/// with factor 4), and where it does not (issue 13).
struct YaRNTests {
    static let machine = FitEngineTests.machine(ramGiB: 128, readGBs: 60, gpus: [FitEngineTests.rtx4090()])

    @Test func aDocumentedYaRNAnswersWithItsFlags() throws {
        let qwen = try FitEngineTests.model("qwen3-8b")
        #expect(qwen.maxPositionEmbeddings == 40960)
        #expect(qwen.yarnMaxContext == 131_072)
        let report = try FitEngineTests.engine.fit(
            .init(model: qwen, quant: "Q4_K_M", context: 131_072),
            machine: Self.machine
        )
        #expect(
            report.launch["llama.cpp"]?.hasSuffix("-c 131072 --rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 32768")
                == true
        )
        #expect(
            report.reasons.contains { $0.hasPrefix("beyond the trained 40960 tokens with YaRN, factor 4 over 32768") }
        )
        // The KV cache is the whole context's: 36 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes.
        #expect(report.memory.kvCacheBytes == 131_072 * 36 * 8 * 128 * 2 * 2)
        #expect(report.maxContextTokens == 131_072)
        // Within the trained context nothing changes.
        let short = try FitEngineTests.engine.fit(
            .init(model: qwen, quant: "Q4_K_M", context: 8192),
            machine: Self.machine
        )
        #expect(short.launch["llama.cpp"]?.contains("rope-scaling") == false)
        #expect(short.maxContextTokens == 40960)
        #expect(throws: FitEngine.FitError.impossibleContext(requested: 200_000, max: 131_072, trained: 40960)) {
            try FitEngineTests.engine.fit(.init(model: qwen, quant: "Q4_K_M", context: 200_000), machine: Self.machine)
        }
    }

    @Test func noDocumentedYaRNIsRefusedWithHowToForceIt() throws {
        let tiny = try FitEngineTests.model("tinyllama-1.1b")
        #expect(tiny.yarnMaxContext == nil)
        do {
            _ = try FitEngineTests.engine.fit(.init(model: tiny, quant: "Q8_0", context: 4096), machine: Self.machine)
            Issue.record("a context beyond training without YaRN must be refused")
        } catch {
            #expect("\(error)".contains("--rope-scaling yarn --rope-scale F --yarn-orig-ctx N"))
        }
    }

    /// config.json's `rope_scaling` (Qwen's documented block) reads as the same YaRN.
    @Test func configJSONRopeScaling() throws {
        let json = #"""
            {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "num_hidden_layers": 36, "hidden_size": 4096,
             "intermediate_size": 12288, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
             "vocab_size": 151936, "max_position_embeddings": 40960,
             "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}
            """#
        let (spec, _) = try HFConfigReader.read(Data(json.utf8), id: "q")
        #expect(spec.yarnFactor == 4)
        #expect(spec.yarnOriginalContext == 32768)
        #expect(spec.yarnMaxContext == 131_072)
    }
}

/// Several sequences at once (llama-server `--parallel`, issue 13).
struct ParallelTests {
    /// Four streams on an RTX 4090: the context splits four ways, one step reads the weights once
    /// and each stream's cache, so the sum is far faster than one stream.
    @Test func fourStreams() throws {
        let spec = try FitEngineTests.model("llama-3.1-8b")
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [FitEngineTests.rtx4090()])
        var request = FitEngine.Request(model: spec, quant: "Q4_K_M", context: 16384)
        let one = try FitEngineTests.engine.fit(request, machine: machine)
        #expect(one.parallel == nil)
        request.parallel = 4
        let four = try FitEngineTests.engine.fit(request, machine: machine)
        let parallel = try #require(four.parallel)
        #expect(parallel.streams == 4)
        #expect(parallel.contextPerSlotTokens == 4096)
        let each = try #require(parallel.perStreamDecodeTokensPerS)
        let single = try #require(one.decodeTokensPerS)
        // No stream is faster than one alone (this GPU's entry has no FP32 rate, so at an empty
        // context the four share one read of the weights at no extra cost).
        #expect(each <= single)
        #expect(try #require(parallel.aggregateDecodeTokensPerS) > 3 * single)
        #expect(four.launch["llama.cpp"]?.hasSuffix("--parallel 4") == true)
        #expect(four.launchCommands?.ollama.numCtx == 4096)
        #expect(four.launchCommands?.ollama.environment["OLLAMA_NUM_PARALLEL"] == "4")
    }

    /// One stream is the single-stream speed exactly.
    @Test func oneStreamIsTheUsualSpeed() throws {
        let spec = try FitEngineTests.model("llama-3.2-1b")
        let machine = FitEngineTests.machine(ramGiB: 16, readGBs: 30)
        let report = try FitEngineTests.engine.fit(.init(model: spec, quant: "Q8_0", context: 4096), machine: machine)
        #expect(report.parallel == nil)
        #expect(report.decodeTokensPerS != nil)
    }
}

/// One decode step of several streams (`DecodeCost.tokensPerSecond(streams:kvBytes:)`).
struct BatchedDecodeCostTests {
    /// 4 GB of weights at 1 TB/s (4 ms), 0.5 GB of KV per stream (0.5 ms each), 8 G weights
    /// multiplied at 80 TFLOP/s × 0.2 weights per FLOP (0.5 ms each): one stream 5 ms, four
    /// streams 4 + 2 + 2 = 8 ms a step, so 125 tokens/s each and 500 in all.
    @Test func aStepReadsTheWeightsOnce() throws {
        let cost = DecodeCost(
            shares: [
                .init(
                    device: .gpu(0),
                    weightBytes: 4_000_000_000,
                    kvFraction: 1,
                    bandwidthBytesPerS: 1_000_000_000_000,
                    efficiency: 1,
                    multipliedWeights: 8_000_000_000,
                    fp32FlopsPerS: 80e12,
                    weightsPerFP32Flop: 0.2
                )
            ],
            layers: 32,
            perLayerSeconds: 0
        )
        let one = try #require(cost.tokensPerSecond(kvBytes: 500_000_000))
        let four = try #require(cost.tokensPerSecond(streams: 4, kvBytes: 500_000_000))
        #expect(abs(one - 200) < 1e-6)
        #expect(abs(four - 125) < 1e-6)
        #expect(cost.tokensPerSecond(streams: 1, kvBytes: 500_000_000) == one)
    }
}

/// A catalog or models.d file is input too: its YaRN figures are bounded, and its GGUF repo is
/// quoted on the shell line.
struct CatalogInputBoundsTests {
    @Test func yarnFiguresAreBounded() throws {
        var spec = try FitEngineTests.model("qwen3-8b")
        spec.yarnFactor = 1e9
        #expect(throws: ModelValidationError.self) { try spec.validate() }
        spec.yarnFactor = 4
        spec.yarnOriginalContext = 0
        #expect(throws: ModelValidationError.self) { try spec.validate() }
        spec.yarnOriginalContext = ModelBounds.context.upperBound
        spec.yarnFactor = 64
        #expect(spec.yarnMaxContext == ModelBounds.context.upperBound)
    }

    @Test func aHostileRepoNameIsQuoted() throws {
        var spec = try FitEngineTests.model("llama-3.1-8b")
        spec.ggufRepo = "x/y; rm -rf ~"
        #expect(LaunchCommands.modelArgument(spec, quant: "Q4_K_M") == "-hf 'x/y; rm -rf ~:Q4_K_M'")
    }
}
