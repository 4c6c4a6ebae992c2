import CanrunCore
import Foundation
import Testing

/// The one validation boundary for model facts (`ModelSpec.validate`, `ModelBounds`), fed the
/// hostile config.json bodies, GGUF metadata and catalog entries of issue 11: each is a clear
/// error naming the field, the value and the bound, never a trap and never an answer.
struct ModelValidationTests {
    /// Llama 3.1 8B's published config.json (Tests/Fixtures/hf-config) with `changes` applied.
    static func config(_ changes: [String: Any]) throws -> Data {
        let data = try CoreFixtures.data("hf-config/llama-3.1-8b.config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (key, value) in changes { object[key] = value }
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// Bodies that crashed `POST /v1/fit` (SIGILL) or answered 200 with nonsense before the
    /// boundary: key, value, and the refusal's (field, value) as the error must name them.
    static let hostileConfigs: [(String, any Sendable, String, String)] = [
        ("num_attention_heads", 0, "num_attention_heads", "0"),
        ("num_attention_heads", -32, "num_attention_heads", "-32"),
        ("num_hidden_layers", 1e19, "num_hidden_layers", "1e+19"),
        ("num_hidden_layers", 1e300, "num_hidden_layers", "1e+300"),
        ("num_hidden_layers", -1, "num_hidden_layers", "-1"),
        ("num_hidden_layers", 10_000_000, "num_hidden_layers", "10000000"),
        ("num_hidden_layers", 1_000_000, "num_hidden_layers", "1000000"),
        ("num_hidden_layers", 2.5, "num_hidden_layers", "2.5"),
        ("num_hidden_layers", "32", "num_hidden_layers", "\"32\""),
        ("num_hidden_layers", true, "num_hidden_layers", "true"),
        ("hidden_size", 1 << 62, "hidden_size", "\(1 << 62)"),
        ("head_dim", 1 << 40, "head_dim", "\(1 << 40)"),
        ("num_experts", 1 << 40, "num_experts", "\(1 << 40)"),
        ("max_position_embeddings", Int64.max, "max_position_embeddings", "\(Int64.max)"),
        ("num_key_value_heads", 0, "num_key_value_heads", "0"),
        ("num_key_value_heads", 5, "num_key_value_heads", "5"),
        ("vocab_size", -1, "vocab_size", "-1"),
        ("intermediate_size", -14336, "intermediate_size", "-14336"),
    ]

    @Test(arguments: hostileConfigs)
    func hostileConfigsAreRefusedNamingTheField(key: String, value: any Sendable, field: String, shown: String) throws {
        let body = try Self.config([key: value])
        #expect {
            _ = try HFConfigReader.read(body, id: "posted-config")
        } throws: { error in
            guard case .invalid(let refusal) = error as? HFConfigReader.ReadError else { return false }
            return refusal.field == field && refusal.value == shown && !refusal.requirement.isEmpty
        }
    }

    /// An MoE config whose experts-per-token exceed its experts, and a model whose shapes sum
    /// past 2^50 weights though each value is within its own bound.
    @Test func contradictionsAndSizeAreRefused() throws {
        let moe = try Self.config(["num_local_experts": 8, "num_experts_per_tok": 9])
        #expect(throws: HFConfigReader.ReadError.self) { try HFConfigReader.read(moe, id: "x") }
        let huge = try Self.config([
            "num_hidden_layers": 1024, "hidden_size": 131_072, "num_local_experts": 8192, "num_experts_per_tok": 8,
            "intermediate_size": 524_288, "head_dim": 128,
        ])
        #expect {
            _ = try HFConfigReader.read(huge, id: "x")
        } throws: { error in
            guard case .invalid(let refusal) = error as? HFConfigReader.ReadError else { return false }
            return refusal.field == "the model's size (from its shapes)"
        }
    }

    @Test func messagesSayFieldValueAndBound() {
        let error = HFConfigReader.ReadError.invalid(
            ModelValidationError(field: "num_hidden_layers", value: "-1", requirement: "an integer from 1 to 1024")
        )
        #expect(error.description == "config.json: num_hidden_layers is -1; it must be an integer from 1 to 1024")
    }

    /// GGUF metadata that crashed `canrun fit FILE.gguf`, on the reference writer's tiny Llama.
    @Test(arguments: [
        ("llama.embedding_length", GGUFValue.uint(1 << 40), "llama.embedding_length", "\(1 << 40)"),
        ("llama.context_length", .uint(UInt64(Int64.max)), "llama.context_length", "\(Int64.max)"),
        ("llama.attention.sliding_window", .int(Int64.min), "llama.attention.sliding_window", "\(Int64.min)"),
        ("llama.block_count", .uint(10_000_000), "llama.block_count", "10000000"),
        ("llama.attention.head_count", .uint(0), "llama.attention.head_count", "0"),
        ("llama.attention.head_count", .float(32), "llama.attention.head_count", "float(32.0)"),
        ("llama.attention.head_count_kv", .uint(3), "llama.attention.head_count_kv (num_key_value_heads)", "3"),
    ])
    func hostileGGUFMetadataIsRefused(key: String, value: GGUFValue, field: String, shown: String) throws {
        var file = try GGUFReaderTests.read(try GGUFReaderTests.bytes("tiny-llama-q8_0"))
        file.metadata[key] = value
        #expect {
            _ = try GGUFModel(parts: [file], id: "hostile")
        } throws: { error in
            guard case .invalidModel(let refusal) = error as? GGUFError else { return false }
            return refusal.field == field && refusal.value == shown
        }
    }

    /// Tensors each within the reader's bounds whose sizes sum past any real model (and would
    /// overflow an Int64 sum): refused, not added.
    @Test func tensorTablesThatOverflowASumAreRefused() throws {
        var file = try GGUFReaderTests.read(try GGUFReaderTests.bytes("tiny-llama-q8_0"))
        for i in file.tensors.indices { file.tensors[i].bytes = Int64.max / 2 }
        #expect {
            _ = try GGUFModel(parts: [file], id: "hostile")
        } throws: { error in
            guard case .implausible = error as? GGUFError else { return false }
            return true
        }
    }

    /// A small catalog entry of `layers` layers, with `extra` lines after its facts.
    static func entry(id: String, layers: Int = 2, extra: String = "") -> String {
        """
        [[model]]
        id = "\(id)"
        name = "x"
        family = "x"
        num_hidden_layers = \(layers)
        hidden_size = 64
        intermediate_size = 128
        num_attention_heads = 4
        num_key_value_heads = 4
        head_dim = 16
        vocab_size = 100
        tie_word_embeddings = true
        max_position_embeddings = 1024
        \(extra)
        """
    }

    @Test func catalogEntriesOutOfBoundsAreSkippedWithTheReason() {
        let toml = Self.entry(id: "too-deep", layers: 100000)
        let catalog = ModelCatalog(sources: [.init(path: "models.d/x.toml", text: toml)])
        #expect(catalog.models.isEmpty)
        #expect(
            catalog.problems == [
                "models.d/x.toml: model 1 (too-deep): num_hidden_layers is 100000; it must be an integer from 1 to 1024; entry skipped"
            ]
        )
    }

    /// A models.d entry's native format and Ollama quantization are names, not text of any size.
    @Test(arguments: [
        ("native_format = \"\"", "native_format is ''"),
        ("native_format = \"\(String(repeating: "x", count: 33))\"", "native_format is 'xxxx"),
        ("ollama_quant = \"Q4 K M; rm\"", "ollama_quant is 'Q4 K M; rm'"),
    ])
    func nativeFormatAndOllamaQuantAreNames(_ line: String, _ expected: String) {
        let toml = Self.entry(id: "named", extra: line)
        let catalog = ModelCatalog(sources: [.init(path: "models.d/x.toml", text: toml)])
        #expect(catalog.models.isEmpty)
        #expect(catalog.problems.first?.contains(expected) == true, "\(catalog.problems)")
        #expect(catalog.problems.first?.hasSuffix("(letters, digits, _ and -, at most 32); entry skipped") == true)
    }

    /// Every shipped catalog entry is within the bounds (they were chosen far beyond them).
    @Test func theShippedCatalogIsWithinBounds() throws {
        #expect(ShippedCatalog.catalog.problems.isEmpty)
        for model in ShippedCatalog.catalog.models { try model.validate() }
    }

    /// A spec built by hand past the bounds never reaches the engine's sums.
    @Test func theEngineRefusesASpecThatBypassedItsSource() throws {
        var spec = try FitEngineTests.model("llama-3.1-8b")
        spec.numHiddenLayers = 10_000_000
        let machine = FitEngineTests.machine(ramGiB: 24, readGBs: 40)
        #expect(throws: FitEngine.FitError.self) {
            try FitEngineTests.engine.fit(.init(model: spec, quant: "Q4_K_M", context: 4096), machine: machine)
        }
        #expect(throws: FitEngine.FitError.self) {
            try FitReports.every(
                request: { .init(model: spec, quant: $0, context: 4096) },
                engine: FitEngineTests.engine,
                machine: machine
            )
        }
        let fine = try FitEngineTests.model("llama-3.1-8b")
        #expect(throws: FitEngine.FitError.impossibleOption("parallel 0 must be from 1 to 1024")) {
            try FitEngineTests.engine.fit(
                .init(model: fine, quant: "Q4_K_M", context: 4096, parallel: 0),
                machine: machine
            )
        }
    }
}
