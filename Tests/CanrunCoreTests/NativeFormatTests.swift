import CanrunCore
import Foundation
import Testing

/// A model's own format is a quantization of its own (issue 13); formats of other runtimes are
/// refused with what is accepted. Sources: gpt-oss's config.json quantization_config (mxfp4, the
/// experts) and ggml-org/gpt-oss-20b-GGUF's gpt-oss-20b-mxfp4.gguf, which llama.cpp prints as
/// "file size = 11.27 GiB" (shared/reference/gguf_sizes.csv); DeepSeek V3's config.json
/// quantization_config (fp8, e4m3, 128 × 128 blocks), which llama.cpp's convert_hf_to_gguf.py
/// dequantizes (dequant_model, weight_scale_inv) before llama-quantize writes Q8_0.
struct NativeFormatTests {
    static let advisor = Advisor(engine: FitEngineTests.engine, catalog: ShippedCatalog.catalog)

    /// gpt-oss's MXFP4 file leads the ladder, and with every file decoding alike on a CPU (the
    /// experts are MXFP4 in all) the answer is it, at about 12 GiB.
    @Test func gptOssDefaultsToItsMXFP4File() throws {
        let m = try #require(ShippedCatalog.catalog.model("gpt-oss-20b"))
        #expect(Recommendations.ladder(for: m, quants: ShippedCatalog.quants).first == "MXFP4_MOE")
        let answer = try Self.advisor.report(m, FitQuestion(), machine: KVCacheSearchTests.cpuMachine(ramGiB: 24))
        #expect(answer.quant == "MXFP4_MOE")
        #expect(abs(Double(answer.memory.weightsBytes) / Double(1 << 30) - 11.27) < 0.05)
        #expect(answer.memory.totalBytes < 12 << 30)
        // Its loss is its other tensors' (Q8_0): the experts are as shipped.
        #expect(answer.quality?.tier == .nearLossless)
        #expect(answer.quality?.note?.contains("the experts are MXFP4 as shipped") == true)
        // A model that ships 16-bit keeps the usual ladder.
        let llama = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        #expect(Recommendations.ladder(for: llama, quants: ShippedCatalog.quants) == Recommendations.ladder)
    }

    /// `--quant FP8` on DeepSeek V3, which ships FP8, is answered as Q8_0 and says so.
    @Test func anFP8ModelIsAnsweredAsQ8_0() throws {
        let m = try #require(ShippedCatalog.catalog.model("deepseek-v3"))
        let report = try FitEngineTests.engine.fit(
            .init(model: m, quant: "FP8", context: 8192),
            machine: KVCacheSearchTests.cpuMachine(ramGiB: 1024)
        )
        #expect(report.quant == "Q8_0")
        #expect(report.reasons.first?.hasPrefix("FP8 is how deepseek-v3 ships, and llama.cpp has no FP8 type") == true)
        let summary = ModelSummary(m, detailed: true, table: ShippedCatalog.quants)
        #expect(summary.nativeFormat == "FP8")
        #expect(summary.nativeFormatAnsweredAs == "Q8_0")
        #expect(summary.weightsBytes?["FP8"] != nil)
    }

    /// Formats of other runtimes are neither answered nor listed where the model does not ship in
    /// them, and the refusal lists what is accepted.
    @Test(arguments: ["FP8", "GPTQ-4bit-g128", "AWQ-4bit-g128", "EXL2-4.0bpw", "MLX-4bit", "GPTQ", "exl2"])
    func otherRuntimesFormatsAreRefusedAndUnlisted(_ format: String) throws {
        let m = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        #expect(throws: FitEngine.FitError.self) {
            try FitEngineTests.engine.fit(
                .init(model: m, quant: format, context: 8192),
                machine: KVCacheSearchTests.cpuMachine(ramGiB: 24)
            )
        }
        do {
            _ = try Self.advisor.fit(m, FitQuestion(quant: format), machine: KVCacheSearchTests.cpuMachine(ramGiB: 24))
            Issue.record("\(format) was answered")
        } catch {
            #expect(error.code == "unknown_quant")
            #expect(error.message.contains("not one llama.cpp loads"))
            #expect(error.message.contains("Q4_K_M"))
        }
        #expect(ModelSummary(m, detailed: true, table: ShippedCatalog.quants).weightsBytes?[format] == nil)
    }

    /// config.json says how a checkpoint ships.
    @Test(arguments: [
        (#"{"quantization_config": {"quant_method": "fp8", "fmt": "e4m3"}, "torch_dtype": "bfloat16"}"#, "FP8"),
        (#"{"quantization_config": {"quant_method": "mxfp4"}}"#, "MXFP4"),
        (#"{"torch_dtype": "bfloat16"}"#, "BF16"),
        (#"{"torch_dtype": "float16"}"#, "F16"),
        (#"{}"#, nil),
    ])
    func configJSONSaysHowItShips(_ extra: String, _ expected: String?) throws {
        var root = try #require(
            try JSONSerialization.jsonObject(with: CoreFixtures.data("hf-config/llama-1.1b-check.config.json"))
                as? [String: Any]
        )
        let more = try #require(try JSONSerialization.jsonObject(with: Data(extra.utf8)) as? [String: Any])
        root.removeValue(forKey: "torch_dtype")
        root.merge(more) { _, new in new }
        let (spec, _) = try HFConfigReader.read(try JSONSerialization.data(withJSONObject: root), id: "x")
        #expect(spec.nativeFormat == expected)
    }
}
