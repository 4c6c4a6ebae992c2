import CanrunCore
import Foundation
import Testing

/// The fit engine on machines described by hand (values chosen to make the arithmetic checkable).
struct FitEngineTests {
    static let efficiency: EfficiencyTable = {
        let text =
            (try? String(contentsOfFile: CoreFixtures.repository + "/config/efficiency.toml", encoding: .utf8)) ?? ""
        return try! EfficiencyTable(toml: text)
    }()

    static let engine = FitEngine(quants: ShippedCatalog.quants, efficiency: efficiency)

    static func machine(ramGiB: Int64, readGBs: Double?, gpus: [GPUFacts] = []) -> MachineProfile {
        var profile = MachineProfile(
            memory: MemoryFacts(totalBytes: ramGiB << 30, availableBytes: ramGiB << 30),
            numaNodes: [NUMANodeFacts(id: 0, memoryBytes: ramGiB << 30, cpus: [0, 1])],
            gpus: gpus
        )
        if let readGBs {
            profile.bandwidth = BandwidthReport(
                threads: 2,
                bufferBytes: 1 << 28,
                durationS: 1,
                nodes: [],
                total: .init(readBytesPerS: Int64(readGBs * 1e9), copyBytesPerS: 0, triadBytesPerS: 0),
                crossNode: nil,
                measuredAt: Date(timeIntervalSince1970: 0),
                kernelIsa: "avx2",
                stable: true,
                runs: [],
                theoreticalPeakBytesPerS: nil,
                fractionOfPeak: nil,
                fingerprint: "test",
                notes: []
            )
        }
        return profile
    }

    static func rtx4090() -> GPUFacts {
        GPUFacts(
            pciAddress: "0000:01:00.0",
            vendorId: "10de",
            deviceId: "2684",
            vendor: "NVIDIA",
            name: "GeForce RTX 4090",
            memoryBytes: 24 << 30,
            memorySource: "nvml",
            bandwidthBytesPerS: 1_008_000_000_000,
            bandwidthSource: "table"
        )
    }

    static func model(_ id: String) throws -> ModelSpec { try #require(ShippedCatalog.catalog.model(id)) }

    /// Seconds a Llama 3.1 8B token spends synchronising several CPU threads: its 32 layers ×
    /// config/efficiency.toml's `[backend.cpu] tau_seconds_per_layer` (120 µs).
    static let llama8BThreadSync = 32 * 0.000120

    /// CPU only, cores unknown (taken as several): decode = bytes a token reads ÷ (measured read ×
    /// the CPU's memory efficiency, 0.96 in config/efficiency.toml) + the threads' synchronisation.
    @Test func cpuOnlyDecodeFollowsMeasuredBandwidth() throws {
        let m = try Self.model("llama-3.1-8b")
        let r = try Self.engine.fit(
            .init(model: m, quant: "Q4_0", context: 4096),
            machine: Self.machine(ramGiB: 24, readGBs: 30)
        )
        #expect(r.fits)
        #expect(r.placement.mode == .cpu)
        #expect(r.launch["llama.cpp"] == "-ngl 0 -c 4096")
        let bytes = try #require(SpeedCalibration.decodeBytes(m, quant: "Q4_0", quants: ShippedCatalog.quants))
        #expect(r.basis.bytesPerToken == bytes)
        let expected = 1 / (Double(bytes) / (30e9 * 0.96) + Self.llama8BThreadSync)
        #expect(abs((r.decodeTokensPerS ?? 0) - expected) < 0.01)
        #expect(
            r.basis.notes.contains("CPU threads: several synchronise after every operation, 120 µs per layer and token")
        )
        #expect(!r.basis.notes.contains { $0.contains("theoretical peak") })
        #expect((r.decodeTokensPerSAtFullContext ?? 99) < (r.decodeTokensPerS ?? 0))
        #expect(r.memory.kvCacheBytes == 512 << 20)
        #expect(r.verdict == .runs)
    }

    /// A machine canrun has not measured (a preset, SMBIOS only) streams at its memory's
    /// theoretical peak × the share a read sustains (`peak_read_share`, 0.66) × η, and says so;
    /// once measured, the measurement alone counts.
    @Test func aTheoreticalPeakLosesWhatNoReadSustains() throws {
        let m = try Self.model("llama-3.1-8b")
        var machine = Self.machine(ramGiB: 64, readGBs: nil)
        machine.memory.theoreticalBandwidthBytesPerS = 460_800_000_000
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 64, threads: 128, isa: ["avx2", "fma"])
        machine.cpu?.frequencyMaxMhz = 3750
        let peak = try Self.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        let bytes = try #require(SpeedCalibration.decodeBytes(m, quant: "Q8_0", quants: ShippedCatalog.quants))
        let expected = 1 / (Double(bytes) / (460.8e9 * 0.66 * 0.96) + Self.llama8BThreadSync)
        #expect(abs((peak.decodeTokensPerS ?? 0) - expected) < 0.01)
        #expect(peak.basis.bandwidthSource == "smbios_peak")
        #expect(abs((peak.basis.efficiency ?? 0) - 0.66 * 0.96) < 1e-9)
        #expect(peak.basis.notes.contains { $0.hasPrefix("CPU memory: the theoretical peak × 0.66") })
        let measured = Self.machine(ramGiB: 64, readGBs: 300)
        var both = measured
        both.memory.theoreticalBandwidthBytesPerS = 460_800_000_000
        both.cpu = machine.cpu
        let read = try Self.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: both)
        #expect(
            abs((read.decodeTokensPerS ?? 0) - 1 / (Double(bytes) / (300e9 * 0.96) + Self.llama8BThreadSync)) < 0.01
        )
        #expect(!read.basis.notes.contains { $0.contains("theoretical peak") })
    }

    /// llama.cpp puts the CPU's weights in a CUDA/ROCm GPU's host buffer type, which comes before
    /// the repack types: with such a GPU present nothing is repacked, even when the model runs on
    /// the CPU (a 1 GiB card holds no layer beside its context and margin).
    @Test func noRepackBesideACUDAOrROCmGPU() throws {
        let m = try Self.model("llama-3.1-8b")
        var machine = Self.machine(ramGiB: 24, readGBs: 30)
        machine.cpu = CPUFacts(cores: 8, threads: 16, isa: ["avx", "avx2", "fma"], frequencyMaxMhz: 4000)
        let alone = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        #expect(alone.placement.mode == .cpu)
        #expect(alone.memory.cpuRepackBytes > 0)
        machine.gpus = [
            GPUFacts(vendor: "AMD", name: "small card", memoryBytes: 1 << 30, bandwidthBytesPerS: 100_000_000_000)
        ]
        let beside = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        #expect(beside.placement.mode == .cpu)
        #expect(beside.memory.cpuRepackBytes == 0)
        #expect(beside.memory.totalBytes == alone.memory.totalBytes - alone.memory.cpuRepackBytes)
    }

    /// A machine whose measured read moved by more than 25 % between measurements says so in
    /// every answer that reads RAM; a steady one does not.
    @Test func unsteadyBandwidthIsSaid() throws {
        let m = try Self.model("llama-3.1-8b")
        var machine = Self.machine(ramGiB: 24, readGBs: 60)
        machine.bandwidth?.earlierReads = [
            .init(measuredAt: Date(timeIntervalSince1970: 0), readBytesPerS: 35_000_000_000)
        ]
        let unsteady = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        let note = try #require(machine.bandwidth?.unsteadyNote)
        #expect(note.contains("between 35.0 GB/s and 60.0 GB/s over its last 2 measurements"))
        #expect(unsteady.reasons.contains(note))
        machine.bandwidth?.earlierReads = [
            .init(measuredAt: Date(timeIntervalSince1970: 0), readBytesPerS: 55_000_000_000)
        ]
        let steady = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        #expect(!steady.reasons.contains { $0.contains("moved between") })
    }

    /// Two 2.6 GHz AVX2 cores multiply 2 × 2.596e9 × 4.50 = 23.4 G Q8_0 weights/s: slower than
    /// their memory streams 7.45 GB of Llama 3.1 8B (0.96 × 60 GB/s), so decode is compute-bound;
    /// 64 cores are not. Both pay the threads' synchronisation; one core alone does not.
    @Test func fewCoresAreComputeBound() throws {
        let m = try Self.model("llama-3.1-8b")
        var machine = Self.machine(ramGiB: 24, readGBs: 60)
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 2, threads: 2, isa: ["avx2", "fma"])
        machine.cpu?.frequencyMaxMhz = 2596
        let few = try Self.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        let weights = TensorInventory(m).activeParameters(m)
        let expected = 1 / (Double(weights) / (2 * 2.596e9 * 4.50) + Self.llama8BThreadSync)
        #expect(abs((few.decodeTokensPerS ?? 0) - expected) < 0.01)
        #expect(few.basis.notes.contains("decode is compute-bound: the cores multiply slower than memory streams"))
        machine.cpu?.cores = 64
        let many = try Self.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        let bytes = try #require(SpeedCalibration.decodeBytes(m, quant: "Q8_0", quants: ShippedCatalog.quants))
        #expect(abs((many.decodeTokensPerS ?? 0) - 1 / (Double(bytes) / (60e9 * 0.96) + Self.llama8BThreadSync)) < 0.01)
        #expect(!many.basis.notes.contains { $0.contains("compute-bound") })
        #expect(
            many.basis.notes.contains("CPU threads: 64 synchronise after every operation, 120 µs per layer and token")
        )
        machine.cpu?.cores = 1
        let one = try Self.engine.fit(.init(model: m, quant: "Q8_0", context: 4096), machine: machine)
        #expect(abs((one.decodeTokensPerS ?? 0) - 2.596e9 * 4.50 / Double(weights)) < 0.01)
        #expect(!one.basis.notes.contains { $0.contains("synchronise") })
    }

    @Test func wholeModelOnOneGPU() throws {
        let m = try Self.model("llama-3.1-8b")
        let r = try Self.engine.fit(
            .init(model: m, quant: "Q8_0", context: 8192),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [Self.rtx4090()])
        )
        #expect(r.placement.mode == .gpu)
        #expect(r.launch["llama.cpp"] == "-ngl 99 -c 8192")
        #expect(r.verdict == .runsWell)
        // Ollama's 457 MiB CUDA context and llama.cpp's 1 GiB --fit margin, each reported.
        #expect(r.memory.backendContextBytes == 457 << 20)
        #expect(r.memory.fitMarginBytes == 1 << 30)
        #expect(r.memory.runtimeOverheadBytes == 457 << 20 + 1 << 30)
        #expect(r.placement.devices.first?.bytes == r.memory.totalBytes)
        #expect(r.basis.efficiency == Self.efficiency.model.backends["cuda"]?.eta)
    }

    /// `fits` is about the machine, `fits_now` about what is free: a card that another process
    /// fills still fits the model, not now; without a driver's free figure `fits_now` is unknown.
    @Test func fitsNowFollowsFreeMemory() throws {
        var busy = Self.rtx4090()
        busy.memoryBytes = 8 << 30
        busy.memoryFreeBytes = 1 << 30
        let m = try Self.model("qwen3-30b-a3b")
        let r = try Self.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 8192),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [busy])
        )
        #expect(r.placement.mode == .moeExpertsOnCPU)
        #expect(r.fits)
        #expect(r.fitsNow == false)
        #expect(r.reasons.contains { $0.hasPrefix("fits this machine but not the memory free now") })
        busy.memoryFreeBytes = nil
        let unknown = try Self.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 8192),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [busy])
        )
        #expect(unknown.fitsNow == nil)
        busy.memoryFreeBytes = 8 << 30
        let idle = try Self.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 8192),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [busy])
        )
        #expect(idle.fitsNow == true)
    }

    /// A 30 B MoE on an 8 GiB card: experts in RAM beats a few layers on the GPU, and only as
    /// many layers' experts go as the card needs (`--n-cpu-moe 35`): with one layer's fewer the
    /// GPU's share would outgrow 8 GiB.
    @Test func moeExpertsGoToRAMWhenTheCardIsSmall() throws {
        var small = Self.rtx4090()
        small.memoryBytes = 8 << 30
        let m = try Self.model("qwen3-30b-a3b")
        let r = try Self.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 8192),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [small])
        )
        #expect(r.placement.mode == .moeExpertsOnCPU)
        #expect(r.launch["llama.cpp"] == "-ngl 99 --n-cpu-moe 35 --no-mmap -c 8192")
        #expect(r.reasons.contains { $0.hasPrefix("MoE experts of 35 of 48 layers in RAM") })
        let weights = try #require(WeightsEstimate(model: m, quant: "Q4_K_M", table: ShippedCatalog.quants))
        let perLayer = weights.expertBytes / 48
        let onGPU = try #require(r.placement.devices.first { $0.device == .gpu(0) }).bytes
        #expect(onGPU <= 8 << 30)
        #expect(onGPU + perLayer > 8 << 30)
        #expect(r.reasons.count >= 3)
        // Qwen3-30B-A3B: hidden 2048, 35 MoE layers' experts in RAM: 70 copies × (10 µs + 8192 B ÷
        // (0.8 × 31.5 GB/s)) = 0.72 ms over an assumed PCIe 4.0 x16 link (the GPU's link is not in
        // this profile).
        let transfer = ActivationTransfer(copiesPerToken: 70, hiddenSize: 2048, rate: PCIeCopyRate(nil))
        #expect(abs(transfer.seconds - 70 * (10e-6 + 8192 / (0.8 * 31_507_692_308))) < 1e-12)
        #expect(r.basis.notes.contains(transfer.note))
        #expect(transfer.note.hasSuffix("ms over PCIe 4.0 x16 assumed (link unknown), 10 µs per copy assumed"))
    }

    /// `--n-cpu-moe N` counts layers from the first: DeepSeek-V2-Lite's layer 0 is dense
    /// (first_k_dense_replace 1), so its first 10 MoE layers are `--n-cpu-moe 11`.
    @Test func nCpuMoeCountsTheDenseLayersToo() throws {
        var card = Self.rtx4090()
        card.memoryBytes = 16 << 30
        let r = try Self.engine.fit(
            .init(model: try Self.model("deepseek-v2-lite"), quant: "Q8_0", context: 131072),
            machine: Self.machine(ramGiB: 64, readGBs: 60, gpus: [card])
        )
        #expect(r.placement.mode == .moeExpertsOnCPU)
        #expect(r.reasons.contains { $0.hasPrefix("MoE experts of 10 of 26 layers in RAM") })
        #expect(r.launch["llama.cpp"]?.hasPrefix("-ngl 99 --n-cpu-moe 11 --no-mmap") == true)
    }

    /// Prompt processing with weights in RAM: llama.cpp multiplies them on the GPU, copying them
    /// over PCIe once per 512-token micro-batch. Llama 3.1 70B Q4_K_M on a 24 GiB card: the GPU's
    /// compute (165.2 TFLOPS × 0.7807) plus the copies of the CPU layers' weights at 0.8 × the
    /// link's rate; a PCIe 3.0 x4 slot is slower than a 4.0 x16 one and the note says which.
    @Test func splitPrefillCopiesWeightsInRAMOverTheLink() throws {
        let m = try Self.model("llama-3.1-70b")
        var gpu = Self.rtx4090()
        gpu.fp16FlopsPerS = 165_200_000_000_000
        gpu.pcieLink = PCIeLink(generation: 4, width: 16, source: "sysfs")
        var machine = Self.machine(ramGiB: 128, readGBs: 60, gpus: [gpu])
        machine.cpu = CPUFacts(cores: 16, threads: 32, isa: ["avx", "avx2", "fma"], frequencyMaxMhz: 5000)
        let request = FitEngine.Request(model: m, quant: "Q4_K_M", context: 8192)
        let fast = try Self.engine.fit(request, machine: machine)
        #expect(fast.placement.mode == .partialOffload)
        let layersOnGPU = fast.placement.gpuLayers
        let weights = try #require(WeightsEstimate(model: m, quant: "Q4_K_M", table: ShippedCatalog.quants))
        let perLayer = (weights.bytes - weights.embeddingBytes) / Int64(m.numHiddenLayers)
        let inRAM = perLayer * Int64(m.numHiddenLayers - layersOnGPU)
        let flops = PrefillSpeedModel.flopsPerToken(
            model: m,
            multipliedWeights: TensorInventory(m).activeParameters(m),
            promptTokens: 512
        )
        func expected(_ linkBytesPerS: Double) -> Double {
            512 / (512 * flops / (165.2e12 * 0.7807) + Double(inRAM) / (0.8 * linkBytesPerS))
        }
        #expect(abs((fast.prefillTokensPerS ?? 0) - expected(31_507_692_308)) < 0.01)
        #expect(
            fast.basis.notes.contains {
                $0.hasPrefix("prompt processing copies the") && $0.contains("PCIe 4.0 x16 (sysfs)")
            }
        )
        machine.gpus?[0].pcieLink = PCIeLink(generation: 3, width: 4, source: "sysfs")
        let slow = try Self.engine.fit(request, machine: machine)
        #expect(abs((slow.prefillTokensPerS ?? 0) - expected(3_938_461_538)) < 0.01)
        #expect((slow.prefillTokensPerS ?? 0) < (fast.prefillTokensPerS ?? 0) / 3)
        // Micro-batches under 32 tokens are not offloaded: the CPU computes its layers' share.
        var small = request
        small.ubatch = 16
        let cpuShare = try Self.engine.fit(small, machine: machine)
        #expect(!cpuShare.basis.notes.contains { $0.hasPrefix("prompt processing copies") })
        #expect((cpuShare.prefillTokensPerS ?? 0) < (slow.prefillTokensPerS ?? 0))
    }

    /// DeepSeek R1 (671 B, 37 B active) with its experts in 768 GiB of RAM beside a 24 GB card:
    /// the byte and weight counts of such a model multiply past Int64, which once trapped.
    @Test func largeMoEExpertsInRAMOnAServer() throws {
        var machine = Self.machine(ramGiB: 768, readGBs: 300, gpus: [Self.rtx4090()])
        machine.cpu = CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 64, threads: 128, isa: ["avx2", "avx512f"])
        machine.cpu?.frequencyMaxMhz = 3700
        let r = try Self.engine.fit(
            .init(model: try Self.model("deepseek-r1"), quant: "Q4_K_M", context: 8192),
            machine: machine
        )
        #expect(r.fits)
        #expect(r.placement.mode == .moeExpertsOnCPU)
        // A CUDA GPU's pinned host buffer type precedes the repack types: nothing is repacked.
        #expect(r.memory.cpuRepackBytes == 0)
        #expect((r.decodeTokensPerS ?? 0) > 0)
    }

    @Test func tooBigIsSaidInWords() throws {
        let r = try Self.engine.fit(
            .init(model: try Self.model("deepseek-r1"), quant: "Q4_K_M", context: 8192),
            machine: Self.machine(ramGiB: 24, readGBs: 20)
        )
        #expect(!r.fits)
        #expect(r.verdict == .doesNotFit)
        #expect(r.maxContextTokens == 0)
        #expect(r.reasons.first?.contains("RAM is 24.0 GiB") == true)
        #expect(CheckRule.decide(r, minTokensPerSecond: nil).0 == false)
    }

    /// The largest context that fits: weights + KV (128 KiB per token for Llama 3.1 8B in f16)
    /// + compute within RAM, a multiple of 256.
    @Test func maxContextIsTheLargestThatFits() throws {
        let m = try Self.model("llama-3.1-8b")
        let r = try Self.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 4096),
            machine: Self.machine(ramGiB: 8, readGBs: 20)
        )
        let weights = try #require(WeightsEstimate(model: m, quant: "Q4_K_M", table: ShippedCatalog.quants)).bytes
        let compute = Int64(512 * 4 * (128_256 + 2 * 4096))
        let perToken: Int64 = 32 * 2 * 1024 * 2
        let expected = Int((Int64(8) << 30 - weights - compute) / perToken) / 256 * 256
        #expect(r.maxContextTokens == expected)
    }

    @Test func badRequestsAreErrors() throws {
        let m = try Self.model("llama-3.1-8b")
        let machine = Self.machine(ramGiB: 24, readGBs: 20)
        #expect(throws: FitEngine.FitError.impossibleContext(requested: 200_000, max: 131_072, trained: 131_072)) {
            try Self.engine.fit(.init(model: m, quant: "Q4_K_M", context: 200_000), machine: machine)
        }
        #expect(throws: FitEngine.FitError.unknownQuant("Q9_Z")) {
            try Self.engine.fit(.init(model: m, quant: "Q9_Z", context: 4096), machine: machine)
        }
    }

    /// The shipped efficiencies reproduce the calibration set within the targets
    /// (decode median ≤ 15%, 90th percentile ≤ 35%).
    @Test func calibrationTargets() throws {
        let csv = try CoreFixtures.text("reference/speeds.csv")
        let gpus = CoreFixtures.gpuTable
        let (rows, _) = SpeedCalibration.rows(
            csv: csv,
            catalog: ShippedCatalog.catalog,
            quants: ShippedCatalog.quants,
            gpus: gpus
        )
        let errors = SpeedCalibration.errors(rows, model: Self.efficiency.model).map { abs($0.1) }.sorted()
        #expect(errors.count == 19)
        #expect(errors[errors.count / 2] <= 0.15)
        #expect(errors[errors.count * 9 / 10] <= 0.35)

        // Prefill target: median ≤ 30%. Left out: the DeepSeek rows (not in the calibration map)
        // and the Radxa board (no published peak for its CPU).
        let (prefill, skipped) = SpeedCalibration.prefillRows(
            csv: csv,
            catalog: ShippedCatalog.catalog,
            quants: ShippedCatalog.quants,
            gpus: gpus
        )
        #expect(prefill.count == 19)
        #expect(skipped.count == 3)
        let prefillErrors = SpeedCalibration.prefillErrors(prefill, model: Self.efficiency.prefill).map { abs($0.1) }
            .sorted()
        #expect(prefillErrors.count == 19)
        #expect(prefillErrors[prefillErrors.count / 2] <= 0.30)
    }

    /// FLOPs per prompt token of LLaMA-2-7B at pp512: 2 × 6,607,343,616 multiplied weights
    /// (6,738,415,616 less the 131 M-weight embedding table) + 4 × 32 layers × 4096 × 256 mean depth.
    @Test func prefillFlopsPerToken() throws {
        let m = try Self.model("llama-2-7b")
        let weights = TensorInventory(m).activeParameters(m)
        #expect(weights == 6_738_415_616 - 131_072_000)
        let flops = PrefillSpeedModel.flopsPerToken(model: m, multipliedWeights: weights, promptTokens: 512)
        #expect(flops == 2 * 6_607_343_616 + 4 * 32 * 4096 * 256)
    }

    /// CPU prefill: peak = cores × clock × 8 AVX2 lanes × 2 pipes × 2 FLOPs, times the Q4_0 η,
    /// and the VNNI speedup for integer dot products where the CPU has VNNI.
    @Test func cpuPrefillFromThePeak() throws {
        let m = try Self.model("llama-3.1-8b")
        var machine = Self.machine(ramGiB: 24, readGBs: 30)
        machine.cpu = CPUFacts(cores: 8, threads: 16, isa: ["avx", "avx2", "fma"], frequencyMaxMhz: 4000)
        let r = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        let peak = 8 * 4000e6 * 8 * 2 * 2
        let flops = PrefillSpeedModel.flopsPerToken(
            model: m,
            multipliedWeights: TensorInventory(m).activeParameters(m),
            promptTokens: 512
        )
        // The Q4_0 η of config/efficiency.toml (the Zen 2 VM's median, 0.8615); with VNNI the
        // integer dot products run int8_vnni_speedup (1.68) times faster; F16 does not.
        let expected = peak * 0.8615 / flops
        #expect(abs((r.prefillTokensPerS ?? 0) - expected) < 0.01)
        var vnni = machine
        vnni.cpu?.isa.append("avx512_vnni")
        let fast = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: vnni)
        #expect(abs((fast.prefillTokensPerS ?? 0) - expected * 1.68) < 0.01)
        // ARM's dot product (`asimddp`, `sdot`) is the same int8 instruction.
        var arm = machine
        arm.cpu?.isa = ["asimd", "asimddp"]
        arm.cpu?.model = "Neoverse V1 (0xd40)"
        let dot = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: arm)
        #expect(abs((dot.prefillTokensPerS ?? 0) - expected * 1.68) < 0.01)
        let f16 = try Self.engine.fit(.init(model: m, quant: "F16", context: 4096), machine: machine)
        let f16VNNI = try Self.engine.fit(.init(model: m, quant: "F16", context: 4096), machine: vnni)
        #expect(f16.prefillTokensPerS == f16VNNI.prefillTokensPerS)
        // Without a clock the peak is unknown, and the report says so.
        machine.cpu?.frequencyMaxMhz = nil
        let unknown = try Self.engine.fit(.init(model: m, quant: "Q4_0", context: 4096), machine: machine)
        #expect(unknown.prefillTokensPerS == nil)
        #expect(unknown.reasons.contains { $0.hasPrefix("prefill speed unknown") })
    }

    @Test(arguments: [
        (["avx512f", "avx2", "fma"], "GenuineIntel", 16), (["avx512f", "avx2", "fma"], "AuthenticAMD", 8),
        (["avx512f", "avx2", "avx_vnni", "fma"], "AuthenticAMD", 16), (["avx2", "fma"], nil, 8), (["asimd"], nil, 4),
        (["sse4_2"], nil, nil) as ([String], String?, Int?),
    ])
    func vectorLanes(_ isa: [String], _ vendor: String?, _ lanes: Int?) {
        #expect(ComputePeak.fp32Lanes(isa: isa, vendor: vendor) == lanes)
    }

    /// A CPU family without its own prompt η takes its kind's (config/efficiency.toml): those that
    /// unpack through tables the median of IQ4_XS 0.2295, Q4_K 0.3345 and Q6_K 0.2547; the
    /// simple blocks the backend's 0.6089.
    @Test func aCPUFamilyWithoutItsOwnPromptEtaTakesItsKinds() {
        let model = Self.engine.efficiency.prefill
        for family in ["Q3_K", "Q2_K", "IQ2_XS", "IQ4_NL", "MXFP4", "NVFP4"] {
            #expect(model.efficiency(backend: "cpu", quantFamily: family) == 0.2547, "\(family)")
        }
        #expect(model.efficiency(backend: "cpu", quantFamily: "Q5_0") == 0.6089)
        #expect(model.efficiency(backend: "cpu", quantFamily: "Q4_K") == 0.3345)
    }

    /// ARM cores with four 128-bit SIMD pipes (Neoverse V1's and V2's software optimisation guides,
    /// Cortex-X) count as 8 lanes on two pipes; two-pipe cores (Cortex-A76, Neoverse N1/N2) as 4.
    @Test(arguments: [
        ("Neoverse V1 (0xd40)", 8), ("Neoverse V2 (0xd4f)", 8), ("Cortex-X925 (0xd85)", 8),
        ("Cortex-A76 (0xd0b)", 4), ("Neoverse N2 (0xd49)", 4), (nil, 4) as (String?, Int),
    ])
    func armLanesFollowTheCore(_ model: String?, _ lanes: Int) {
        #expect(ComputePeak.fp32Lanes(isa: ["asimd", "asimddp"], vendor: "ARM", model: model) == lanes)
    }

    /// Apple: M2 10-core GPU 3.58 TFLOPS (Apple: "3.6 TFLOPS"), M1 8-core 2.62 ("2.6 TFLOPS"); the
    /// M3 Max's 40 cores at 1.6 GHz 16.4 TFLOPS (the TechPowerUp-derived figure ComputePeak cites);
    /// M4 counts the M3's clock (10 cores: 4.1 TFLOPS); M5's matrix units have no FP32 clock.
    @Test func appleGPUPeaks() {
        #expect(abs((ComputePeak.appleGPUFlopsPerS(chip: "Apple M3 Max", gpuCores: 40) ?? 0) - 16.384e12) < 1)
        #expect(abs((ComputePeak.appleGPUFlopsPerS(chip: "Apple M2", gpuCores: 10) ?? 0) - 3.57888e12) < 1)
        #expect(abs((ComputePeak.appleGPUFlopsPerS(chip: "Apple M1", gpuCores: 8) ?? 0) - 2.617344e12) < 1)
        #expect(abs((ComputePeak.appleGPUFlopsPerS(chip: "Apple M4", gpuCores: 10) ?? 0) - 4.096e12) < 1)
        #expect(ComputePeak.appleGPUFlopsPerS(chip: "Apple M5", gpuCores: 10) == nil)
    }

    /// A prefill table whose eta is missing is a clear error, not a silent zero.
    @Test func prefillTableWithoutEtaIsRejected() {
        let toml = "[backend.cpu]\neta = 0.5\ntau_seconds_per_layer = 0\n[prefill.cpu]\nsource = \"x\"\n"
        #expect(throws: QuantTable.LoadError.self) { try EfficiencyTable(toml: toml) }
    }
}

struct RecommendationsTests {
    /// Models that run well come first, the largest of them first; nothing that does not fit.
    @Test func ranksByVerdictThenSize() throws {
        let models = try ["llama-3.2-1b", "llama-3.1-8b", "llama-3.1-70b", "qwen3-30b-a3b"].map(FitEngineTests.model)
        let machine = FitEngineTests.machine(ramGiB: 32, readGBs: 60, gpus: [FitEngineTests.rtx4090()])
        let reports = try Recommendations.rank(models, engine: FitEngineTests.engine, machine: machine, context: 8192)
            .reports
        let verdicts = reports.map(\.verdict)
        #expect(verdicts == verdicts.sorted(by: >))
        #expect(reports.allSatisfy { $0.fits })
        #expect(reports.first?.model == "qwen3-30b-a3b")
        #expect(reports.contains { $0.model == "llama-3.1-70b" })
        let table = Recommendations.table(reports)
        #expect(table.split(separator: "\n").count == reports.count + 1)
    }

    /// At 30 GB/s no quantization of an 8B model reaches reading speed: the answer is the fastest
    /// that loses little (Q4_K_M, within 10 % of IQ4_XS's speed at less loss), not a faster 3-bit one. Asked for 5 tokens/s, the highest
    /// quality that reaches it (Q5_K_M); asked for more than any reaches, the model is left out
    /// and counted.
    @Test func aSpeedGoalPicksTheQuantization() throws {
        let model = try FitEngineTests.model("llama-3.1-8b")
        let machine = FitEngineTests.machine(ramGiB: 32, readGBs: 30)
        func rank(_ goal: Double?) throws -> Recommendations.Ranking {
            try Recommendations.rank(
                [model],
                engine: FitEngineTests.engine,
                machine: machine,
                context: 4096,
                minTokensPerSecond: goal
            )
        }
        let any = try rank(nil)
        #expect(any.reports.first?.quant == "Q4_K_M")
        #expect(any.reports.first?.reasons.first?.hasPrefix("no quantization that fits and loses little") == true)
        let five = try rank(5)
        #expect(five.reports.first?.quant == "Q5_K_M")
        #expect((five.reports.first?.decodeTokensPerS ?? 0) >= 5)
        let never = try rank(1000)
        #expect(never.reports.isEmpty)
        #expect(never.belowGoal == 1)
        #expect(
            Recommendations.leftOutLine(never, minTokensPerSecond: 1000)
                == "left out: 1 reach no 1000.0 tokens/s (--min-tps)"
        )
    }
}
