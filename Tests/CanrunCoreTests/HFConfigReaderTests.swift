import CanrunCore
import Foundation
import Testing

/// config.json files (Tests/Fixtures/hf-config, provenance in its README) read into the same
/// shapes as the catalog entries, which cite the models' published configs.
struct HFConfigReaderTests {
    static let cases = [
        "llama-3.1-8b", "llama-3.2-3b", "qwen2.5-7b", "qwen3-30b-a3b", "deepseek-v3", "gpt-oss-20b", "gemma-3-27b",
        "llama-4-scout",
    ]

    @Test(arguments: cases)
    func readsTheSameShapeAsTheCatalog(_ id: String) throws {
        let (spec, _) = try HFConfigReader.read(try CoreFixtures.data("hf-config/\(id).config.json"), id: id)
        let catalog = try #require(ShippedCatalog.catalog.model(id))
        #expect(spec.numHiddenLayers == catalog.numHiddenLayers)
        #expect(spec.hiddenSize == catalog.hiddenSize)
        #expect(spec.numKeyValueHeads == catalog.numKeyValueHeads)
        #expect(spec.headDim == catalog.headDim)
        #expect(spec.vocabSize == catalog.vocabSize)
        #expect(spec.tieWordEmbeddings == catalog.tieWordEmbeddings)
        #expect(spec.numExperts == catalog.numExperts)
        #expect(spec.kvLoraRank == catalog.kvLoraRank)
        #expect(spec.slidingWindow == catalog.slidingWindow)
        #expect(spec.globalLayerEvery == catalog.globalLayerEvery)
        #expect(TensorInventory(spec).totalParameters == TensorInventory(catalog).totalParameters)
        #expect(TensorInventory(spec).activeParameters(spec) == TensorInventory(catalog).activeParameters(catalog))
    }

    @Test func readsQuantizationConfig() throws {
        let (_, fp8) = try HFConfigReader.read(try CoreFixtures.data("hf-config/deepseek-v3.config.json"), id: "d")
        #expect(fp8 == HFConfigReader.Quantization(method: "fp8", bits: 8, groupSize: nil))
        let (_, mxfp4) = try HFConfigReader.read(try CoreFixtures.data("hf-config/gpt-oss-20b.config.json"), id: "g")
        #expect(mxfp4 == HFConfigReader.Quantization(method: "mxfp4", bits: 4, groupSize: 32))
        let gptq =
            #"{"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 10, "max_position_embeddings": 2048, "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128}}"#
        #expect(try HFConfigReader.read(Data(gptq.utf8), id: "q").1 == .init(method: "gptq", bits: 4, groupSize: 128))
    }

    @Test func badConfigsAreClearErrors() {
        #expect(throws: HFConfigReader.ReadError.self) { try HFConfigReader.read(Data("not json".utf8), id: "x") }
        #expect(throws: HFConfigReader.ReadError.missing("num_hidden_layers")) {
            try HFConfigReader.read(Data(#"{"model_type": "whisper"}"#.utf8), id: "x")
        }
    }
}
