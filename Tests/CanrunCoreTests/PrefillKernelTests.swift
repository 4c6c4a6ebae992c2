import Foundation
import Testing

@testable import CanrunCore

/// The kernel llama.cpp multiplies a 512-token prompt with, per backend, architecture and weight
/// type (notes/speed-facts.md §1.3, §1.4, §2, §3; ggml at llama.cpp d3cf1f14), and the peak of the
/// unit that kernel uses.
struct PrefillKernelTests {
    @Test(arguments: [
        // CUDA, Turing and later: MMQ on INT8 tensor cores for quantized types, cuBLAS for F16.
        ("cuda", "Ada Lovelace", "Q4_K", PrefillKernel.mmq),
        ("cuda", "Ampere", "F16", .blasF16),
        ("cuda", "Hopper", "BF16", .blasF16),
        // IQ1_M has no MMQ kernel (`ggml_cuda_should_use_mmq`).
        ("cuda", "Blackwell", "IQ1_M", .blasF16),
        // Volta: dp4a MMQ only below 64 tokens (MMQ_DP4A_MAX_BATCH_SIZE), then cuBLAS.
        ("cuda", "Volta", "Q4_0", .blasF16),
        ("cuda", "Pascal", "Q8_0", .dp4a),
        // ROCm: WMMA MMQ on RDNA 3 except Q2_K/Q6_K/IQ2_XS/IQ2_S past 128 tokens (PR #18202).
        ("rocm", "RDNA 3", "Q4_K", .mmq),
        ("rocm", "RDNA 3", "Q6_K", .blasF16),
        ("rocm", "RDNA 4", "Q6_K", .mmq),
        ("rocm", "CDNA 3", "Q4_K", .mmq),
        // CDNA 1/2 at 512 tokens: only the legacy 4/5-bit types stay on MMQ.
        ("rocm", "CDNA 2", "Q4_0", .mmq),
        ("rocm", "CDNA 2", "Q4_K", .blasF16),
        ("rocm", "RDNA 2", "Q4_K", .dp4a),
        ("rocm", "GCN 5", "Q4_0", .blasF16),
        // Vulkan: cooperative matrices where there are matrix units, else integer dot or FP32.
        ("vulkan", "RDNA 3", "Q4_0", .coopmat),
        ("vulkan", "RDNA 2", "Q4_0", .dp4a),
        ("vulkan", "RDNA 2", "F16", .scalar),
    ])
    func kernelPerBackendArchitectureAndType(
        _ backend: String,
        _ architecture: String,
        _ family: String,
        _ expected: PrefillKernel
    ) {
        #expect(PrefillKernel.choose(backend: backend, architecture: architecture, family: family) == expected)
    }

    /// Before PR #8075 (about b3200) a 512-token prompt went to cuBLAS on any GPU with FP16
    /// tensor cores; Pascal's dp4a MMQ did not change.
    @Test func olderBuildsUsedCuBLASForLongPrompts() {
        #expect(PrefillKernel.choose(backend: "cuda", architecture: "Ampere", family: "Q4_K", build: 2824) == .blasF16)
        #expect(PrefillKernel.choose(backend: "cuda", architecture: "Ampere", family: "Q4_K", build: 3200) == .mmq)
        #expect(PrefillKernel.choose(backend: "cuda", architecture: "Pascal", family: "Q4_K", build: 2824) == .dp4a)
    }

    @Test func metalAndTheCPUKeepTheirOwnPath() {
        #expect(PrefillKernel.choose(backend: "metal", architecture: nil, family: "Q4_0") == nil)
        #expect(PrefillKernel.choose(backend: "cpu", architecture: nil, family: "Q4_0") == nil)
    }

    /// The RTX 4090's units as the Ada whitepaper's Appendix A gives them (config/gpus.toml):
    /// FP16 tensor 330.3 with FP16 accumulation, 165.2 with FP32, INT8 660.6, FP32 82.6.
    @Test func eachKernelRunsAtItsUnitsPeak() throws {
        let entry = try #require(CoreFixtures.gpuTable.lookup(productName: "GeForce RTX 4090"))
        let peaks = entry.peaks
        #expect(peaks?.int8OpsPerS == 660.6e12)
        #expect(PrefillKernel.mmq.peak(peaks, architecture: "Ada Lovelace", family: "Q4_K") == 660.6e12)
        #expect(PrefillKernel.blasF16.peak(peaks, architecture: "Ada Lovelace", family: "F16") == 330.3e12)
        #expect(PrefillKernel.blasF16.peak(peaks, architecture: "Ada Lovelace", family: "BF16") == 165.2e12)
        #expect(PrefillKernel.scalar.peak(peaks, architecture: "Ada Lovelace", family: "F16") == 82.6e12)
        #expect(PrefillKernel.mmq.peak(nil, architecture: "Ada Lovelace", family: "Q4_K") == nil)
        // A P40 has no fast FP16: cuBLAS runs FP32 there.
        let p40 = GPUPeaks(int8OpsPerS: 47e12, fp32FlopsPerS: 11.76e12)
        #expect(PrefillKernel.blasF16.peak(p40, architecture: "Pascal", family: "F16") == 11.76e12)
    }

    /// Vulkan's dequantizing mat-mat pipelines accumulate in FP16 at the default precision
    /// (ggml-vulkan.cpp `ggml_vk_get_mul_mat_mat_pipeline`: `.f16acc`): on a GeForce that is the
    /// full tensor rate, twice the FP32-accumulate one (RTX 4090: 330.3 against 165.2 TFLOPS).
    @Test func vulkanCoopmatAccumulatesInFP16() throws {
        let peaks = try #require(CoreFixtures.gpuTable.lookup(productName: "GeForce RTX 4090")).peaks
        #expect(PrefillKernel.coopmat.peak(peaks, architecture: "Ada Lovelace", family: "Q4_K") == 330.3e12)
        #expect(peaks?.fp16Acc32FlopsPerS == 165.2e12)
    }

    /// ggml's MMQ and flash-attention kernels issue `mma.sync`, which runs at half of Hopper's
    /// datasheet tensor rate (reached only by `wgmma`); cuBLAS keeps the whole rate. H100 PCIe:
    /// INT8 1513 TOPS and FP16 756.5 TFLOPS dense (NVIDIA's datasheet, config/gpus.toml).
    @Test func hopperKernelsOfGGMLRunAtMMASyncRate() throws {
        let entry = try #require(CoreFixtures.gpuTable.lookup(productName: "H100 PCIe 80GB"))
        let peaks = entry.peaks
        #expect(entry.architecture == "Hopper")
        #expect(PrefillKernel.mmq.peak(peaks, architecture: "Hopper", family: "Q4_K") == 756.5e12)
        #expect(PrefillKernel.blasF16.peak(peaks, architecture: "Hopper", family: "F16") == 756.5e12)
        #expect(PrefillKernel.attentionPeak(peaks, architecture: "Hopper") == 378.25e12)
        // Ada's mma.sync is its full rate.
        let ada = try #require(CoreFixtures.gpuTable.lookup(productName: "GeForce RTX 4090")).peaks
        #expect(PrefillKernel.attentionPeak(ada, architecture: "Ada Lovelace") == ada?.fp16Acc16FlopsPerS)
    }

    @Test func anUnknownKernelInTheTableIsRefused() {
        let text = "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cuda.kernel]\nwmma = 0.3\n"
        #expect(throws: QuantTable.LoadError.self) { try EfficiencyTable(toml: text) }
        let fine = "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.rocm.kernel]\nmmq = 0.3\n"
        let table = try? EfficiencyTable(toml: fine)
        #expect(table?.prefill.efficiency(backend: "rocm", kernel: .mmq) == 0.3)
        #expect(table?.prefill.efficiency(backend: "rocm", kernel: .dp4a) == nil)
    }

    /// The speed model's new keys refuse values no physics has: zero, negative, and the TOML
    /// infinities and NaN (which JSON cannot carry), each with a message naming the file.
    @Test(arguments: [
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\nweights_per_fp32_flop = -0.2\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\nweights_per_fp32_flop = inf\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cuda.kernel]\nmmq = nan\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cuda.kernel]\nmmq = 0\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cpu]\neta = 0.6\nint8_vnni_speedup = -1\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill_experts]\nhalf_batch_tokens = inf\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cuda.weights_per_fp32_flop]\nmmq = 0\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.cuda.weights_per_fp32_flop]\nwmma = 2\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.flash_attention_eta]\ncuda = -0.5\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill.sustained_watts_per_fp32_tflop]\n\"Ada Lovelace\" = nan\n",
        "[backend.cpu]\neta = 0.9\ntau_seconds_per_layer = 0.0001\npeak_read_share = 0\n",
        "[backend.cpu]\neta = 0.9\ntau_seconds_per_layer = 0.0001\npeak_read_share = 1.5\n",
        "[backend.cpu]\neta = 0.9\ntau_seconds_per_layer = 0.0001\npeak_read_share = nan\n",
        "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\npeak_read_share = 0.7\n",
        "[backend.cpu]\neta = 0.9\ntau_seconds_per_layer = -0.0001\n",
        "[backend.cpu]\neta = 0\ntau_seconds_per_layer = 0.0001\n",
    ])
    func impossibleValuesAreRefused(_ text: String) {
        #expect {
            try EfficiencyTable(toml: text)
        } throws: { error in
            String(describing: error).contains("efficiency.toml")
        }
    }

    /// AMD GPUs answer for ROCm by default, Intel for Vulkan; a request can name the backend.
    @Test func theBackendFollowsTheVendorUnlessAsked() throws {
        #expect(GPUBackend.usual(vendor: "AMD") == .rocm)
        #expect(GPUBackend.usual(vendor: "NVIDIA") == .cuda)
        #expect(GPUBackend.usual(vendor: "Apple") == .metal)
        #expect(GPUBackend.usual(vendor: "Intel") == .vulkan)
        let m = try FitEngineTests.model("llama-3.1-8b")
        var card = FitEngineTests.rtx4090()
        card.vendor = "AMD"
        card.name = "Radeon RX 7900 XTX"
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [card])
        let rocm = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 4096), machine: machine)
        let vulkan = try FitEngineTests.engine.fit(
            .init(model: m, quant: "Q4_K_M", context: 4096, gpuBackend: .vulkan),
            machine: machine
        )
        #expect(rocm.basis.efficiency == FitEngineTests.efficiency.model.backends["rocm"]?.eta)
        #expect(vulkan.basis.efficiency == FitEngineTests.efficiency.model.backends["vulkan"]?.eta)
    }
}

/// MoE prefill: a 512-token micro-batch gives each of Qwen3-30B-A3B's 128 experts 512 × 8 ÷ 128
/// = 32 tokens; with experts at half their dense efficiency at 90.5 tokens, their FLOPs count
/// (32 + 90.5) ÷ 32 × 512 ÷ (512 + 90.5) = 3.253 times; a dense model's do not change.
struct ExpertBatchTests {
    @Test func expertsFedFewTokensCountMore() throws {
        let model = PrefillSpeedModel(eta: [:], expertHalfBatchTokens: 90.5)
        let moe = try FitEngineTests.model("qwen3-30b-a3b")
        let plain = PrefillSpeedModel.flopsPerToken(model: moe, multipliedWeights: 3_000_000_000, promptTokens: 512)
        let effective = model.effectiveFlopsPerToken(
            model: moe,
            multipliedWeights: 3_000_000_000,
            expertWeights: 2_000_000_000,
            promptTokens: 512,
            depth: 0,
            ubatch: 512
        )
        let slowdown = (32 + 90.5) / 32 * 512 / (512 + 90.5)
        #expect(abs(effective - (plain + 4e9 * (slowdown - 1))) < 1)
        let dense = try FitEngineTests.model("llama-3.1-8b")
        let same = model.effectiveFlopsPerToken(
            model: dense,
            multipliedWeights: 7_000_000_000,
            expertWeights: 0,
            promptTokens: 512,
            depth: 0,
            ubatch: 512
        )
        #expect(
            same == PrefillSpeedModel.flopsPerToken(model: dense, multipliedWeights: 7_000_000_000, promptTokens: 512)
        )
        #expect(throws: QuantTable.LoadError.self) {
            try EfficiencyTable(
                toml:
                    "[backend.cuda]\neta = 0.9\ntau_seconds_per_layer = 0.0001\n[prefill_experts]\nhalf_batch_tokens = -4\n"
            )
        }
    }
}

/// The prompt terms beyond the matrix units' peak, each from what a kernel does
/// (PrefillSpeedModel, PrefillCost.Share): worked by hand on round numbers.
struct PrefillTermsTests {
    /// A token's work with `flops` FLOPs, `attention` of them attention's.
    static func work(
        _ flops: Double,
        attention: Double = 0,
        attentionBytes: Double = 0,
        converted: Double = 0,
        convertedBytes: Double = 0
    ) -> PrefillWork {
        PrefillWork(
            cpuFlops: flops,
            gpuFlops: flops,
            attentionFlops: attention,
            attentionBytes: attentionBytes,
            convertedWeights: converted,
            convertedBytes: convertedBytes
        )
    }

    /// 1 GFLOP per token on a 100 TFLOP/s unit at η 0.5 takes 20 µs; MMQ's unpacking of the
    /// 0.5 G weights in its tiles on a 10 TFLOP/s shader at 2 weights per FLOP adds 25 µs; 0.2
    /// of the clock lost to the power limit stretches both by 1 ÷ 0.8; 40 MB of attention scores
    /// through memory at 1 TB/s add 40 µs, which no clock changes.
    @Test func shaderPowerAndMemoryTermsAdd() throws {
        var share = PrefillCost.Share(device: .gpu(0), fraction: 1, peakFlopsPerS: 100e12, efficiency: 0.5)
        #expect(abs(try #require(share.seconds(Self.work(1e9))) - 20e-6) < 1e-12)
        share.shaderFlopsPerS = 10e12
        share.weightsPerShaderFlop = 2
        // Float weights: nothing to unpack.
        #expect(abs(try #require(share.seconds(Self.work(1e9))) - 20e-6) < 1e-12)
        share.unpacking = .inTiles
        #expect(abs(try #require(share.seconds(Self.work(1e9))) - 45e-6) < 1e-12)
        share.clockFraction = 0.8
        #expect(abs(try #require(share.seconds(Self.work(1e9))) - 45e-6 / 0.8) < 1e-12)
        share.streamBytesPerS = 1e12
        let withMemory = try #require(share.seconds(Self.work(1e9, attentionBytes: 40e6)))
        #expect(abs(withMemory - (45e-6 / 0.8 + 40e-6)) < 1e-12)
        // Attention's 0.2 GFLOP on its own unit (50 TFLOP/s at η 0.25: 16 µs) instead of the
        // kernel's (0.2 GFLOP at 50 TFLOP/s: 4 µs, and no shader work: 5 µs less).
        share = PrefillCost.Share(device: .gpu(0), fraction: 1, peakFlopsPerS: 100e12, efficiency: 0.5)
        share.attentionPeakFlopsPerS = 50e12
        share.attentionEfficiency = 0.25
        #expect(abs(try #require(share.seconds(Self.work(1e9, attention: 0.2e9))) - (16e-6 + 16e-6)) < 1e-12)
    }

    /// BLAS on quantized weights unpacks them once per micro-batch: 10 M weights converted per
    /// token on a 10 TFLOP/s shader at 0.02 weights per FLOP add 50 µs, and their 26 MB (read
    /// at 0.6 bytes, written at 2) at 1 TB/s 26 µs; the tiles' figure plays no part.
    @Test func aConversionKernelWorksOncePerMicroBatch() throws {
        var share = PrefillCost.Share(device: .gpu(0), fraction: 1, peakFlopsPerS: 100e12, efficiency: 0.5)
        share.shaderFlopsPerS = 10e12
        share.weightsPerShaderFlop = 0.02
        share.streamBytesPerS = 1e12
        share.unpacking = .perMicroBatch
        let work = Self.work(1e9, converted: 10e6, convertedBytes: 26e6)
        #expect(abs(try #require(share.seconds(work)) - (20e-6 + 50e-6 + 26e-6)) < 1e-12)
        #expect(PrefillKernel.blasF16.unpacking(family: "Q4_K") == .perMicroBatch)
        #expect(PrefillKernel.mmq.unpacking(family: "Q4_K") == .inTiles)
        #expect(PrefillKernel.coopmat.unpacking(family: "F16") == nil)
        #expect(PrefillKernel.blasF16.unpacking(family: "BF16") == nil)
    }

    /// A micro-batch of 512 tokens converts every dense weight once and reaches every one of
    /// Qwen3-30B-A3B's 128 experts with 32 tokens each: 1 G dense and 2 G expert weights a token
    /// multiplies convert as 1 G ÷ 512 + 2 G ÷ 32.
    @Test func expertsConvertOncePerMicroBatchThatReachesThem() {
        let weights = PrefillSpeedModel.convertedWeightsPerToken(
            denseWeights: 1e9,
            expertWeights: 2e9,
            batch: (dense: 512, perExpert: 32)
        )
        #expect(abs(weights - (1e9 / 512 + 2e9 / 32)) < 1e-3)
    }

    /// Without flash attention the KQ scores (F32) are written, softmaxed in place and read for
    /// KQV: 16 bytes per query head, layer and cell up to the micro-batch's end. Llama 3.1 8B
    /// (32 heads, 32 layers), pp512 after 4,096 tokens: cells 4,096 + (512 + 512) ÷ 2 = 4,608,
    /// 16 × 32 × 32 × 4,608 = 75.5 MB a token; with flash attention none.
    @Test func attentionScoresGoThroughMemoryOnlyWithoutFlashAttention() throws {
        let model = try FitEngineTests.model("llama-3.1-8b")
        let bytes = PrefillSpeedModel.attentionBytesPerToken(
            model: model,
            promptTokens: 512,
            depth: 4096,
            ubatch: 512,
            flash: false
        )
        #expect(bytes == 16 * 32 * 32 * 4608)
        #expect(
            PrefillSpeedModel.attentionBytesPerToken(
                model: model,
                promptTokens: 512,
                depth: 4096,
                ubatch: 512,
                flash: true
            )
                == 0
        )
    }

    /// A board below its architecture's sustained power runs matrix work at power ÷ (watts per
    /// TFLOP × FP32 TFLOP/s) of its clock: an RTX 6000 Ada (300 W, 91.1 FP32 TFLOP/s) at 4.765 W
    /// per TFLOP holds 300 ÷ 434.1 = 0.691; a GeForce RTX 4090 (450 W, 82.6) holds all of it;
    /// a board of unknown power, or an architecture without a figure, holds all of it too.
    @Test func theBoardPowerBoundsTheClock() {
        var model = PrefillSpeedModel(eta: [:])
        model.sustainedWattsPerFP32Teraflop = ["Ada Lovelace": 4.765]
        let ada6000 = GPUPeaks(fp32FlopsPerS: 91.1e12, boardPowerW: 300)
        #expect(abs(model.clockFraction(peaks: ada6000, architecture: "Ada Lovelace") - 300 / (4.765 * 91.1)) < 1e-12)
        let rtx4090 = GPUPeaks(fp32FlopsPerS: 82.6e12, boardPowerW: 450)
        #expect(model.clockFraction(peaks: rtx4090, architecture: "Ada Lovelace") == 1)
        #expect(model.clockFraction(peaks: GPUPeaks(fp32FlopsPerS: 91.1e12), architecture: "Ada Lovelace") == 1)
        #expect(model.clockFraction(peaks: ada6000, architecture: "Hopper") == 1)
    }

    /// Every entry of the shipped table has a matrix (or dp4a) peak for its kernels, so no GPU
    /// the table knows answers "prefill unknown", and the boards carry their rated power (the
    /// RTX 4090's 450 W: TechPowerUp's GPU database); one entry's power is not published.
    @Test func theShippedTableCarriesPowerAndPeaks() {
        let entries = CoreFixtures.gpuTable.entries
        let rtx4090 = entries.first { $0.name == "GeForce RTX 4090" }
        #expect(rtx4090?.peaks?.boardPowerW == 450)
        let missing = entries.filter {
            $0.peaks?.int8OpsPerS == nil && $0.peaks?.fp16Acc16FlopsPerS == nil && $0.peaks?.fp16Acc32FlopsPerS == nil
        }
        #expect(missing.isEmpty, "\(missing.map(\.name))")
        #expect(entries.filter { $0.peaks?.boardPowerW == nil }.map(\.name) == ["Radeon PRO W7900 Dual Slot"])
    }
}

/// The power the driver enforces replaces the table's rating: an RTX 3090 an administrator
/// capped at 200 W (nvidia-smi's recording) holds 200 ÷ (6.081 W per TFLOP × 35.6 TFLOP/s) of
/// its clock under matrix work in the shipped tables, where the rated 350 W would hold all of it.
struct DriverPowerLimitTests {
    @Test func theEnforcedLimitBoundsThePrompt() throws {
        let result = try NvidiaSmiXMLReader.read(try CoreFixtures.data("gpu/nvidia-smi-q-x.rtx-3090-v12.xml"))
        var readings = result.gpus
        readings[0].vendorId = 0x10de
        readings[0].deviceId = 0x2204
        let capped = ProfileAssembler.assemble(ProbeReadings(driverReadings: readings), gpuTable: CoreFixtures.gpuTable)
        let peaks = try #require(capped.gpus?.first?.peaks)
        #expect(peaks.boardPowerW == 200)
        #expect(peaks.boardPowerSource == "nvidia-smi")
        readings[0].powerLimitW = nil
        let rated = ProfileAssembler.assemble(ProbeReadings(driverReadings: readings), gpuTable: CoreFixtures.gpuTable)
        #expect(rated.gpus?.first?.peaks?.boardPowerW == 350)
        #expect(rated.gpus?.first?.peaks?.boardPowerSource == "table")
        let model = FitEngineTests.efficiency.prefill
        let watts = try #require(model.sustainedWattsPerFP32Teraflop["Ampere"])
        let clock = model.clockFraction(peaks: peaks, architecture: "Ampere")
        #expect(abs(clock - min(1, 200 / (watts * 35.6))) < 1e-9)
        #expect(clock < 1)
        #expect(model.clockFraction(peaks: rated.gpus?.first?.peaks, architecture: "Ampere") == 1)
    }
}

/// `fit` says how its prompt speed was derived: the kernel and its unit's peak with η, the
/// shader term, flash attention's η, and a board below its sustained power with that power and
/// where it comes from (an RTX 6000 Ada's table figures: 728.5 INT8 TOPS, 91.1 FP32 TFLOP/s;
/// here an administrator's 200 W cap as NVML reports it).
struct PrefillBasisTests {
    @Test func thePromptBasisNamesEveryTerm() throws {
        var card = FitEngineTests.rtx4090()
        card.name = "RTX 6000 Ada Generation"
        card.architecture = "Ada Lovelace"
        card.peaks = GPUPeaks(
            fp16Acc16FlopsPerS: 364.2e12,
            fp16Acc32FlopsPerS: 364.2e12,
            int8OpsPerS: 728.5e12,
            fp32FlopsPerS: 91.1e12,
            boardPowerW: 200
        )
        card.peaks?.boardPowerSource = "nvml"
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [card])
        let m = try FitEngineTests.model("llama-3.1-8b")
        let report = try FitEngineTests.engine.fit(.init(model: m, quant: "Q4_K_M", context: 4096), machine: machine)
        let share = try #require(report.basis.prefill?.first)
        let model = FitEngineTests.efficiency.prefill
        #expect(share.kernel == "mmq")
        #expect(share.peakFlopsPerS == 728.5e12)
        #expect(share.efficiency == model.kernels["cuda.mmq"])
        #expect(share.weightsPerShaderFlop == model.weightsPerShaderFlop["cuda.mmq"])
        #expect(share.flashAttentionEfficiency == model.attentionEta["cuda"])
        let watts = try #require(model.sustainedWattsPerFP32Teraflop["Ada Lovelace"])
        #expect(abs(share.clockFraction - 200 / (watts * 91.1)) < 1e-9)
        let text = FitText.render(report)
        #expect(text.contains("prefill basis: gpu0 mmq at 728.5 TOPS × η "))
        #expect(text.contains(String(format: "clock %.2f of boost (200 W, nvml)", share.clockFraction)))
    }
}
