import CanrunCore
import Foundation
import Testing

/// llama.cpp's CPU_REPACK buffer (Benchmarks/llama-cpp-check/repack.py on an AVX2 EPYC: the
/// buffer equals the multiplied Q4_0 and Q4_K tensors' bytes; other types are not repacked).
struct CPURepackTests {
    @Test(arguments: [
        (["avx2", "fma"], ["IQ4_NL", "Q4_0", "Q4_K"]),
        (["asimd", "asimddp"], ["IQ4_NL", "Q4_0"]),
        (["asimd"], []),
        (["sse4_2"], []),
    ])
    func repackedTypesFollowTheISA(_ isa: [String], _ expected: [String]) {
        #expect(CPURepack.types(isa: isa).sorted() == expected)
    }

    /// The synthetic 1.1 B Llama of Benchmarks/llama-cpp-check in Q4_0: llama.cpp printed
    /// "CPU_REPACK model buffer size = 519.8 MiB" — 22 layers × 44,040,192 weights × 18 ÷ 32 bytes.
    @Test func q4_0RepackOfTheCheckModelIsExact() throws {
        let (spec, _) = try HFConfigReader.read(
            CoreFixtures.data("hf-config/llama-1.1b-check.config.json"),
            id: "llama-1.1b"
        )
        let weights = try #require(WeightsEstimate(model: spec, quant: "Q4_0", table: ShippedCatalog.quants))
        #expect(CPURepack.bytes(weights, isa: ["avx2"]) == 22 * 44_040_192 * 18 / 32)
        #expect(CPURepack.bytes(weights, isa: ["sse4_2"]) == 0)
    }

    /// CPU only, the copy is memory the fit counts; on the GPU there is none.
    @Test func cpuPlacementCountsTheCopy() throws {
        let m = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        var machine = FitEngineTests.machine(ramGiB: 24, readGBs: 30)
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 2, threads: 2, isa: ["avx2"])
        let cpu = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 4096), machine: machine)
        let weights = try #require(WeightsEstimate(model: m, quant: "Q4_K_M", table: ShippedCatalog.quants))
        #expect(cpu.placement.mode == .cpu)
        #expect(cpu.memory.cpuRepackBytes == weights.multipliedBytesByType["Q4_K"])
        #expect(
            cpu.memory.totalBytes
                == cpu.memory.weightsBytes + cpu.memory.kvCacheBytes + cpu.memory.computeBufferBytes
                + cpu.memory.cpuRepackBytes
        )
        machine.gpus = [FitEngineTests.rtx4090()]
        let gpu = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 4096), machine: machine)
        #expect(gpu.placement.mode == .gpu)
        #expect(gpu.memory.cpuRepackBytes == 0)
    }
}

/// The README's provisioning question (Qwen3-30B-A3B Q4_K_M at 32,768 tokens) on a 24 GiB box
/// (issue 13): with the file mapped, the 13 GiB repacked copy sits beside the 17 GiB of weights
/// and it does not fit; with `--no-mmap` the copy stands in for them, and the answer names it.
struct NoMmapTests {
    @Test func theFlagThatMakesItFitIsNamed() throws {
        let m = try #require(ShippedCatalog.catalog.model("qwen3-30b-a3b"))
        var machine = FitEngineTests.machine(ramGiB: 24, readGBs: 30)
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 2, threads: 2, isa: ["avx2"])
        let report = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 32768), machine: machine)
        let weights = try #require(WeightsEstimate(model: m, quant: "Q4_K_M", table: ShippedCatalog.quants))
        let repack = CPURepack.bytes(weights, types: CPURepack.types(isa: ["avx2"]))
        #expect(repack > 12 << 30)
        #expect(report.fits)
        #expect(report.memory.cpuRepackBytes == 0)
        #expect(report.launch["llama.cpp"] == "-ngl 0 --no-mmap -c 32768")
        #expect(report.reasons.first?.hasPrefix("CPU only with --no-mmap") == true)
        // A model that fits mapped keeps llama.cpp's default.
        let small = try FitEngineTests.engine.fit(
            .init(model: try #require(ShippedCatalog.catalog.model("llama-3.2-3b")), quant: "Q4_K_M", context: 8192),
            machine: machine
        )
        #expect(small.launch["llama.cpp"]?.contains("--no-mmap") == false)
        #expect(small.memory.cpuRepackBytes > 0)
    }
}
