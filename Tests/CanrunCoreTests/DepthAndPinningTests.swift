import Foundation
import Testing

@testable import CanrunCore

/// Speed by depth, and the flags that keep a model on one GPU of several.
struct DepthAndPinningTests {
    /// Decode reads more KV cache and prefill attends over more tokens as the context fills: both
    /// fall with depth, at the depths llama-bench's `-d` usually takes, and the last row is the
    /// asked context.
    @Test func speedFallsWithDepth() throws {
        let m = try FitEngineTests.model("llama-3.1-8b")
        // The card with the table's architecture and unit peaks (config/gpus.toml), as a probe
        // gives it.
        var card = FitEngineTests.rtx4090()
        let entry = try #require(CoreFixtures.gpuTable.lookup(productName: "GeForce RTX 4090"))
        card.architecture = entry.architecture
        card.peaks = entry.peaks
        let r = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 32768),
            machine: FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [card])
        )
        let table = try #require(r.speedAtDepth)
        #expect(table.map(\.depthTokens) == [0, 4096, 16384, 32768])
        let decode = table.compactMap(\.decodeTokensPerS)
        let prefill = table.compactMap(\.prefillTokensPerS)
        #expect(decode.count == 4 && prefill.count == 4)
        #expect(decode == decode.sorted(by: >) && Set(decode).count == 4)
        #expect(prefill == prefill.sorted(by: >) && Set(prefill).count == 4)
        #expect(decode.first == r.decodeTokensPerS)
        #expect(decode.last == r.decodeTokensPerSAtFullContext)
    }

    /// gpt-oss alternates sliding-window (128 tokens) and full-attention layers: only the full
    /// ones attend over the whole depth, so attention's FLOPs grow at half the all-layer rate.
    @Test func windowedLayersStopAtTheirWindow() throws {
        let m = try FitEngineTests.model("gpt-oss-20b")
        let flops = { (depth: Int) in
            PrefillSpeedModel.flopsPerToken(model: m, multipliedWeights: 0, promptTokens: 512, depth: depth)
        }
        let perToken = 4 * Double(m.numAttentionHeads * m.headDim)
        let full = Double((0..<m.numHiddenLayers).filter(m.isFullAttentionLayer).count)
        #expect(full == Double(m.numHiddenLayers) / 2)
        #expect(abs((flops(32768) - flops(0)) - perToken * full * 32768) < 1)
    }

    @Test func oneOfSeveralGPUsIsPinned() throws {
        let m = try FitEngineTests.model("llama-3.1-8b")
        let two = FitEngineTests.machine(
            ramGiB: 64,
            readGBs: 60,
            gpus: [FitEngineTests.rtx4090(), FitEngineTests.rtx4090()]
        )
        let r = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 8192), machine: two)
        #expect(r.placement.mode == .gpu)
        #expect(r.launch["llama.cpp"] == "-ngl 99 -sm none -mg 0 -c 8192")
        let big = try FitEngineTests.model("llama-3.3-70b")
        let split = try FitEngineTests.engine.fit(.init(model: big, quant: "Q4_K_M", context: 8192), machine: two)
        #expect(split.placement.mode == .multiGPU)
        #expect(split.launch["llama.cpp"]?.hasPrefix("-ngl 99 -sm layer --tensor-split 24,24") == true)
    }
}

/// llama.cpp's `-t`: the CPU's compute bounds count the threads asked, never more than its cores.
struct ThreadsTests {
    /// Not asked, llama.cpp runs one thread per performance core of a hybrid x86 CPU (a Core
    /// i3-1315U: 2 P-cores with SMT, 4 E-cores), so its two P-cores multiply, as with `-t 2`, and
    /// the launch line adds no `-t`.
    @Test func aHybridCPURunsItsPerformanceCores() throws {
        let m = try FitEngineTests.model("llama-3.1-8b")
        var machine = FitEngineTests.machine(ramGiB: 16, readGBs: 60)
        machine.cpu = CPUFacts(
            vendor: "GenuineIntel",
            architecture: "x86_64",
            cores: 6,
            threads: 8,
            isa: ["avx2", "fma", "avx_vnni"],
            kinds: [
                CPUKindFacts(name: "IntelAtom", cpus: [4, 5, 6, 7], efficiency: 0, frequencyMaxMhz: 3300),
                CPUKindFacts(name: "IntelCore", cpus: [0, 1, 2, 3], efficiency: 1, frequencyMaxMhz: 4500),
            ],
            frequencyMaxMhz: 4500
        )
        #expect(machine.cpu?.llamaDefaultThreads == 2)
        let unasked = try FitEngineTests.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        let two = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q8_0", context: 4096, threads: 2),
            machine: machine
        )
        #expect(unasked.decodeTokensPerS == two.decodeTokensPerS)
        #expect(unasked.prefillTokensPerS == two.prefillTokensPerS)
        #expect(unasked.launch["llama.cpp"] == "-ngl 0 -c 4096")
        #expect(unasked.basis.notes.contains { $0.hasPrefix("CPU compute: 2 cores × 4.50 GHz") })
        machine.cpu?.kinds = []
        #expect(machine.cpu?.llamaDefaultThreads == 6)
    }

    /// 64 cores at 2.596 GHz stream Llama 3.1 8B Q8_0 at 0.96 × 60 GB/s; with `-t 2` two cores
    /// multiply 2 × 2.596e9 × 4.50 weights/s (`fewCoresAreComputeBound`) and synchronise, and the launch line
    /// says `-t 2`. More threads than cores count as the cores.
    @Test func fewerThreadsMultiplyLess() throws {
        let m = try FitEngineTests.model("llama-3.1-8b")
        var machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60)
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 64, threads: 128, isa: ["avx2", "fma"])
        machine.cpu?.frequencyMaxMhz = 2596
        let all = try FitEngineTests.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        let two = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q8_0", context: 4096, threads: 2),
            machine: machine
        )
        let many = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q8_0", context: 4096, threads: 512),
            machine: machine
        )
        let weights = Double(TensorInventory(m).activeParameters(m))
        let twoSeconds = weights / (2 * 2.596e9 * 4.50) + FitEngineTests.llama8BThreadSync
        #expect(abs((two.decodeTokensPerS ?? 0) - 1 / twoSeconds) < 0.01)
        #expect((all.decodeTokensPerS ?? 0) > 2 * (two.decodeTokensPerS ?? 0))
        #expect(many.decodeTokensPerS == all.decodeTokensPerS)
        #expect((two.prefillTokensPerS ?? 0) < (all.prefillTokensPerS ?? 0) / 30)
        #expect(two.launch["llama.cpp"] == "-ngl 0 -c 4096 -t 2")
        #expect(throws: FitEngine.FitError.self) {
            try FitEngineTests.engine.fit(.init(model: m, quant: "Q8_0", context: 4096, threads: 0), machine: machine)
        }
    }
}
