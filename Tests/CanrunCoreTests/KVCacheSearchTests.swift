import CanrunCore
import Foundation
import Testing

/// The KV cache type when none is asked (issue 13, `KVCacheSearch`). Sizes from Llama 3.1 8B's
/// config.json: 32 layers × 8 KV heads × 128 × (K + V) = 131,072 bytes a token in f16, so
/// 131,072 tokens take 16 GiB; q8_0 stores 34 bytes per 32 elements: 8.5 GiB.
struct KVCacheSearchTests {
    static let f16Bytes: Int64 = 16 << 30
    static let q8Bytes: Int64 = 16 << 30 / 64 * 34

    static func request(_ id: String, quant: String, context: Int, choosing: Bool = true) throws -> FitEngine.Request {
        var request = FitEngine.Request(
            model: try #require(ShippedCatalog.catalog.model(id)),
            quant: quant,
            context: context
        )
        request.choosesKVType = choosing
        return request
    }

    static func cpuMachine(ramGiB: Int64) -> MachineProfile {
        var machine = FitEngineTests.machine(ramGiB: ramGiB, readGBs: 30)
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 2, threads: 2, isa: ["avx2"])
        return machine
    }

    /// On a 24 GiB RTX 4090 an f16 cache leaves two layers in RAM; q8_0 puts the whole model on
    /// the GPU. The answer keeps f16 (it fits, and loses nothing) and names the faster launch.
    @Test func aFasterLaunchIsNamedBesideTheAnswer() throws {
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 50, gpus: [FitEngineTests.rtx4090()])
        let report = try FitEngineTests.engine.fit(
            Self.request("llama-3.1-8b", quant: "Q8_0", context: 131072),
            machine: machine
        )
        #expect(report.fits)
        #expect(report.kvCacheType == "f16")
        #expect(report.memory.kvCacheBytes == Self.f16Bytes)
        #expect(report.placement.mode == .partialOffload)
        let other = try #require(report.alternativeLaunch)
        #expect(other.why == .faster)
        #expect(other.kvCacheType == "q8_0")
        #expect(other.placement == .gpu)
        #expect(try #require(other.decodeTokensPerS) >= KVCacheSearch.fasterBy * (report.decodeTokensPerS ?? 0))
        #expect(other.llamaServer?.hasSuffix("-ngl 99 -c 131072 -ctk q8_0 -ctv q8_0") == true)
        #expect(FitText.render(report).contains("faster with -ctk q8_0 -ctv q8_0: gpu"))
        // Asked for f16, the answer is exactly that.
        let asked = try FitEngineTests.engine.fit(
            Self.request("llama-3.1-8b", quant: "Q8_0", context: 131072, choosing: false),
            machine: machine
        )
        #expect(asked.alternativeLaunch == nil)
    }

    /// CPU only with 24 GiB, the f16 cache does not fit beside the 8-bit weights; the q8_0 one
    /// does, and the answer is it, saying why first.
    @Test func aQuantizedCacheIsTheAnswerOnlyWhereF16FitsNowhere() throws {
        let report = try FitEngineTests.engine.fit(
            Self.request("llama-3.1-8b", quant: "Q8_0", context: 131072),
            machine: Self.cpuMachine(ramGiB: 24)
        )
        #expect(report.fits)
        #expect(report.kvCacheType == "q8_0")
        #expect(report.memory.kvCacheBytes == Self.q8Bytes)
        #expect(report.reasons.first?.hasPrefix("an f16 KV cache (16.0 GiB, llama.cpp's default) does not fit") == true)
        #expect(report.launch["llama.cpp"]?.hasSuffix("-ctk q8_0 -ctv q8_0") == true)
        #expect(report.launchCommands?.ollama.environment["OLLAMA_KV_CACHE_TYPE"] == "q8_0")
        // The table marks the cache.
        #expect(Recommendations.table([report]).contains("cpu kv q8_0"))
        // Where f16 fits, it stays.
        let roomy = try FitEngineTests.engine.fit(
            Self.request("llama-3.1-8b", quant: "Q8_0", context: 131072),
            machine: Self.cpuMachine(ramGiB: 64)
        )
        #expect(roomy.kvCacheType == "f16")
        #expect(roomy.alternativeLaunch == nil)
    }

    /// A 4-bit cache is never chosen unasked: when only it would fit, the answer does not fit and
    /// names it, with what it costs.
    @Test func aFourBitCacheIsNamedNotChosen() throws {
        let report = try FitEngineTests.engine.fit(
            Self.request("llama-3.1-70b", quant: "IQ3_M", context: 131072),
            machine: Self.cpuMachine(ramGiB: 48)
        )
        #expect(!report.fits)
        #expect(report.kvCacheType == "f16")
        let other = try #require(report.alternativeLaunch)
        #expect(other.why == .fits)
        #expect(other.kvCacheType == "q4_0")
        #expect(other.quality == "a 4-bit KV cache loses noticeably, more as the context grows")
        #expect(report.reasons.last?.hasPrefix("nor does an 8-bit KV cache; a 4-bit one (--kv q4_0") == true)
    }

    /// Without flash attention llama.cpp refuses a quantized V cache: nothing to search.
    @Test func withoutFlashAttentionThereIsNoSearch() throws {
        var request = try Self.request("llama-3.1-8b", quant: "Q8_0", context: 131072)
        request.flashAttention = false
        let report = try FitEngineTests.engine.fit(request, machine: Self.cpuMachine(ramGiB: 24))
        #expect(!report.fits)
        #expect(report.kvCacheType == "f16")
        #expect(report.alternativeLaunch == nil)
    }

    /// The question's KV type: absent, canrun chooses; given, it is kept.
    @Test func onlyAnUnaskedCacheIsSearched() throws {
        let m = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        #expect(FitQuestion(quant: "Q8_0").request(m, quant: "Q8_0").choosesKVType)
        let asked = FitQuestion(quant: "Q8_0", kvType: "f16").request(m, quant: "Q8_0")
        #expect(!asked.choosesKVType)
        #expect(asked.kvType == "f16")
    }
}
