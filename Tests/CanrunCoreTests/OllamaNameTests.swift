import CanrunCore
import Foundation
import Testing

/// Ollama names resolve to the catalog entry that lists them, at the quantization their tag
/// ships (issue 13). Expectations from Ollama's tags pages (ollama.com/library/NAME/tags, as of
/// July 2026, read through the copies in D3rhami/ollama_gallery and
/// yuma-shintani/ollama-model-library): `llama3.1:8b` and `llama3.1:latest` are one digest with
/// `llama3.1:8b-instruct-q4_K_M`; gpt-oss ships MXFP4; tinyllama's latest is Q4_0.
struct OllamaNameTests {
    @Test(arguments: [
        ("llama3.1:8b", "llama-3.1-8b", "Q4_K_M"),
        ("llama3.1", "llama-3.1-8b", "Q4_K_M"),
        ("LLAMA3.1:Latest", "llama-3.1-8b", "Q4_K_M"),
        ("registry.ollama.ai/library/gemma3:27b", "gemma-3-27b", "Q4_K_M"),
        ("qwen3:30b-a3b-q4_K_M", "qwen3-30b-a3b", "Q4_K_M"),
        ("llama3.1:8b-instruct-q8_0", "llama-3.1-8b", "Q8_0"),
        ("llama3.1:8b-instruct-fp16", "llama-3.1-8b", "F16"),
        ("gpt-oss:20b", "gpt-oss-20b", "MXFP4"),
        ("tinyllama", "tinyllama-1.1b", "Q4_0"),
        ("deepseek-r1:8b-llama-distill-q4_K_M", "deepseek-r1-distill-llama-8b", "Q4_K_M"),
    ])
    func aNameFindsItsEntryAndQuantization(_ name: String, _ id: String, _ quant: String) throws {
        let catalog = ShippedCatalog.catalog
        let found = try #require(catalog.ollama(name))
        #expect(found.spec.id == id)
        #expect(found.quant == quant)
        #expect(catalog.model(name)?.id == id)
        #expect(catalog.impliedQuant(name) == quant)
        // The quantization is one llama.cpp names.
        #expect(ShippedCatalog.quants.namedQuant(quant) != nil)
    }

    /// Names Ollama moved to other checkpoints are not listed (`qwen3:30b-a3b` is now the
    /// Thinking-2507 model; `deepseek-r1:8b` is R1-0528's Qwen3 distill, another architecture),
    /// and a catalog id or repo implies no quantization.
    @Test(arguments: ["qwen3:30b-a3b", "deepseek-r1:8b", "llama3.1:9b", "llama3.1:8b-instruct-turbo", "a/b:c"])
    func otherNamesAreNotOllamas(_ name: String) {
        #expect(ShippedCatalog.catalog.ollama(name) == nil)
    }

    /// A catalog id implies no quantization, even one Ollama also uses untagged
    /// (`deepseek-v3:latest`, `command-r7b:latest`): the ladder answers it.
    @Test func catalogNamesImplyNoQuantization() {
        #expect(ShippedCatalog.catalog.impliedQuant("llama-3.1-8b") == nil)
        #expect(ShippedCatalog.catalog.ollama("deepseek-v3")?.spec.id == "deepseek-v3")
        #expect(ShippedCatalog.catalog.impliedQuant("deepseek-v3") == nil)
        #expect(ShippedCatalog.catalog.impliedQuant("command-r7b") == nil)
        #expect(ShippedCatalog.catalog.impliedQuant("deepseek-v3:671b") == "Q4_K_M")
        #expect(ShippedCatalog.catalog.impliedQuant("meta-llama/Llama-3.1-8B-Instruct") == nil)
    }

    /// The answer layer asks at the tag's quantization unless another is asked.
    @Test func theTagsQuantizationIsAskedUnlessAnotherIs() {
        let advisor = Advisor(engine: FitEngineTests.engine, catalog: ShippedCatalog.catalog)
        #expect(advisor.question(FitQuestion(), naming: "llama3.1:8b").quant == "Q4_K_M")
        #expect(advisor.question(FitQuestion(quant: "Q6_K"), naming: "llama3.1:8b").quant == "Q6_K")
        #expect(advisor.question(FitQuestion(), naming: "llama-3.1-8b").quant == nil)
    }

    /// Every listed name is well formed and claimed by one entry only.
    @Test func everyListedNameIsOneEntrys() {
        var owner: [String: String] = [:]
        for m in ShippedCatalog.catalog.models {
            for name in m.ollama ?? [] {
                #expect(name.contains(":"), "\(m.id): \(name)")
                #expect(
                    owner[name.lowercased()] == nil,
                    "\(name) is listed by \(owner[name.lowercased()] ?? "") and \(m.id)"
                )
                owner[name.lowercased()] = m.id
            }
            if m.ollama != nil { #expect(m.ollamaQuant != nil, "\(m.id) lists Ollama names without ollama_quant") }
        }
        #expect(owner.count == 181)
    }
}
