import CanrunCore
import Foundation
import Testing

/// The shipped catalog and quantization table (config/), checked against published figures.
enum ShippedCatalog {
    static let quants: QuantTable = {
        let text = (try? String(contentsOfFile: CoreFixtures.repository + "/config/quants.toml", encoding: .utf8)) ?? ""
        return (try? QuantTable(toml: text))
            ?? (try! QuantTable(toml: "ggml_type = []\nnamed_quant = []\nkv_cache_type = []"))
    }()

    static let catalog: ModelCatalog = {
        let directory = CoreFixtures.repository + "/config/models"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasSuffix(".toml")
        }
        return ModelCatalog(
            sources: names.sorted().map { name in
                let path = directory + "/" + name
                return ModelCatalog.Source(path: path, text: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
            }
        )
    }()
}

struct QuantTableTests {
    /// Bits per weight from ggml-common.h's block structs (e.g. block_q4_0 = fp16 d + 16 bytes of nibbles).
    @Test(arguments: [
        ("Q4_0", 4.5), ("Q4_1", 5.0), ("Q5_0", 5.5), ("Q5_1", 6.0), ("Q8_0", 8.5), ("Q2_K", 2.625), ("Q3_K", 3.4375),
        ("Q4_K", 4.5), ("Q5_K", 5.5), ("Q6_K", 6.5625), ("IQ4_XS", 4.25), ("IQ4_NL", 4.5), ("IQ3_S", 3.4375),
        ("IQ3_XXS", 3.0625), ("IQ2_XXS", 2.0625), ("IQ2_XS", 2.3125), ("IQ2_S", 2.5625), ("IQ1_S", 1.5625),
        ("IQ1_M", 1.75), ("TQ1_0", 1.6875), ("TQ2_0", 2.0625), ("MXFP4", 4.25), ("F16", 16), ("BF16", 16), ("F32", 32),
    ])
    func bitsPerWeight(_ name: String, _ bits: Double) throws {
        #expect(try #require(ShippedCatalog.quants.type(named: name)).bitsPerWeight == bits)
    }

    /// GGUF type ids (ggml.h enum ggml_type).
    @Test func typeIDs() {
        let t = ShippedCatalog.quants
        #expect(t.type(id: 0)?.name == "F32")
        #expect(t.type(id: 8)?.name == "Q8_0")
        #expect(t.type(id: 12)?.name == "Q4_K")
        #expect(t.type(id: 30)?.name == "BF16")
        #expect(t.type(id: 39)?.name == "MXFP4")
    }

    @Test func kvCacheTypes() {
        #expect(ShippedCatalog.quants.kvCacheType("q8_0")?.bitsPerElement == 8.5)
        #expect(ShippedCatalog.quants.kvCacheType("q4_0")?.bitsPerElement == 4.5)
        #expect(ShippedCatalog.quants.kvCacheType("iq4_nl")?.bitsPerElement == 4.5)
    }

    @Test func badTablesAreErrors() {
        #expect(throws: QuantTable.LoadError.self) { try QuantTable(toml: "[[ggml_type]]\nname = 1") }
        #expect(throws: QuantTable.LoadError.self) {
            try QuantTable(
                toml: "ggml_type = []\nkv_cache_type = []\n[[named_quant]]\nname = \"Q4_K_M\"\nbase = \"Q9_Z\"\n"
            )
        }
    }
}

struct ModelCatalogTests {
    @Test func shippedCatalogLoadsCleanly() {
        #expect(ShippedCatalog.catalog.problems == [])
        #expect(ShippedCatalog.catalog.models.count >= 60)
        let ids = ShippedCatalog.catalog.models.map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ShippedCatalog.catalog.models.allSatisfy { !($0.sources ?? []).isEmpty })
    }

    /// Every computed total within 1% of the published count (model cards, llama.cpp load logs;
    /// each entry's params_source). Active counts too, under the convention each publisher uses:
    /// without the input embedding (gpt-oss), also without the output head (GLM-4.5), or with
    /// everything but the unused experts (Mixtral).
    @Test func parameterCountsMatchPublishedFigures() {
        for model in ShippedCatalog.catalog.models {
            let inventory = TensorInventory(model)
            if let published = model.paramsTotalPublished {
                let error = abs(Double(inventory.totalParameters) / published - 1)
                #expect(
                    error < 0.01 + roundingOf(published),
                    "\(model.id): total \(inventory.totalParameters) vs published \(Int64(published))"
                )
            }
            if let published = model.paramsActivePublished {
                let active = Double(inventory.activeParameters(model))
                let table = model.tieWordEmbeddings ? 0 : Double(model.vocabSize * model.hiddenSize)
                let error = [active, active - table, active + table].map { abs($0 / published - 1) }.min() ?? 1
                #expect(
                    error < 0.01 + roundingOf(published),
                    "\(model.id): active \(Int64(active)) vs published \(Int64(published))"
                )
            }
        }
    }

    /// How far a published figure may be from the truth by its own rounding: "3.3B" stands for
    /// anything from 3.25 to 3.35 B (±1.5%); "8,030,261,248" for itself.
    func roundingOf(_ published: Double) -> Double {
        var mantissa = published
        var scale = 1.0
        while mantissa >= 10 && mantissa.truncatingRemainder(dividingBy: 10) == 0 {
            mantissa /= 10
            scale *= 10
        }
        return 0.5 * scale / published
    }

    @Test func lookupByIDRepoAndSuggestions() throws {
        let catalog = ShippedCatalog.catalog
        #expect(catalog.model("LLAMA-3.1-8B")?.id == "llama-3.1-8b")
        #expect(catalog.model("meta-llama/Llama-3.1-8B-Instruct")?.id == "llama-3.1-8b")
        #expect(catalog.model("Llama-3.1-8B-Instruct")?.id == "llama-3.1-8b")
        #expect(catalog.model("llama-9-1t") == nil)
        #expect(catalog.suggestions(for: "lama-3.1-8b").first == "llama-3.1-8b")
        #expect(catalog.suggestions(for: "qwen3-30b").contains("qwen3-30b-a3b"))
        // Nothing is near a name that shares nothing with the catalog's (issue 13/15: `foo` once
        // suggested phi-4, glm-4.5 and kimi-k2).
        #expect(catalog.suggestions(for: "foo").isEmpty)
        #expect(catalog.suggestions(for: "mistral-small-3.2-24b").contains("mistral-small-3.1-24b"))
    }

    /// A toy model entry as a user would write it in models.d.
    static func toyEntry(id: String, layers: Int = 2, sources: Bool = true) -> String {
        """
        [[model]]
        id = "\(id)"
        name = "Toy"
        family = "test"
        num_hidden_layers = \(layers)
        hidden_size = 64
        intermediate_size = 128
        num_attention_heads = 4
        num_key_value_heads = 2
        head_dim = 16
        vocab_size = 1000
        tie_word_embeddings = true
        max_position_embeddings = 2048
        \(sources ? "sources = [\"test\"]" : "")

        """
    }

    /// A user's bad file is reported with file, line and reason, and the rest still loads.
    @Test func badUserFilesAreReportedAndSkipped() {
        let text =
            Self.toyEntry(id: "tiny-test") + Self.toyEntry(id: "Bad Id")
            + "[[model]]\nid = \"no-layers\"\nname = \"x\"\nfamily = \"test\"\n"
        let catalog = ModelCatalog(sources: [
            .init(path: "/etc/canrun/models.d/good.toml", text: text),
            .init(path: "/etc/canrun/models.d/broken.toml", text: "[[model]]\nid = \"x\nname = 1\n"),
        ])
        #expect(catalog.models.map(\.id) == ["tiny-test"])
        #expect(catalog.problems.count == 3)
        #expect(catalog.problems.contains { $0.contains("must be a lowercase slug") })
        #expect(catalog.problems.contains { $0.contains("(no-layers): missing key") })
        #expect(catalog.problems.contains { $0.hasPrefix("/etc/canrun/models.d/broken.toml:2") })
        // Parameters of the toy model by hand: embed 64k, per layer attn 4·64·16 + 2·2·64·16 + 64·64
        // (q, k, v, o) + FFN 3·64·128 + 2 norms of 64; + final norm.
        let toy = TensorInventory(catalog.models[0])
        #expect(toy.totalParameters == 64_000 + 2 * (4096 + 2 * 2048 + 4096 + 24_576 + 128) + 64)
    }

    /// Later files override earlier ones by id (a user's models.d entry wins over the shipped one).
    @Test func laterFilesOverride() {
        let catalog = ModelCatalog(sources: [
            .init(path: "a", text: Self.toyEntry(id: "m", layers: 2)),
            .init(path: "b", text: Self.toyEntry(id: "m", layers: 5)),
        ])
        #expect(catalog.models.count == 1)
        #expect(catalog.models[0].numHiddenLayers == 5)
    }
}

struct FormatEstimateTests {
    /// Llama 3.1 8B: 6.98 B linear weights at 4.125 bits (GPTQ 4-bit, group 128) plus the
    /// 2 × 525 M embedding and head in 16-bit and the norms.
    @Test func gptqKeepsEmbeddingsWide() throws {
        let model = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        let format = try #require(ShippedCatalog.quants.formats.first { $0.name == "GPTQ-4bit-g128" })
        let estimate = WeightsEstimate(model: model, format: format)
        let inventory = TensorInventory(model)
        let wide = inventory.tensors.filter {
            $0.shape.count < 2 || $0.name == "token_embd.weight" || $0.name == "output.weight"
        }
        let wideElements = wide.reduce(Int64(0)) { $0 + $1.elements }
        let linear = inventory.totalParameters - wideElements
        let expected = Double(linear) * 4.125 / 8 + Double(wideElements) * 2
        #expect(abs(Double(estimate.bytes) - expected) < 1)
        #expect(ShippedCatalog.quants.formats.contains { $0.name == "EXL2-4.65bpw" })
    }
}
