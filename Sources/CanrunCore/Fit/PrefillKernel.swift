/// The kernel llama.cpp multiplies a prompt's weights with on a GPU, and so the execution unit
/// whose peak bounds it (notes/speed-facts.md §1-3, ggml at llama.cpp d3cf1f14: `mmq.cu:
/// ggml_cuda_should_use_mmq`, `ggml_cuda_mul_mat_cublas`, `ggml-vulkan.cpp`), for a 512-token
/// micro-batch:
/// - CUDA, Turing and later: quantized types go to MMQ on the INT8 tensor cores; F16/BF16 (and
///   types MMQ lacks) are dequantized for cuBLAS, FP16 with FP16 accumulation (BF16: FP32).
/// - CUDA, Volta: MMQ only below 64 tokens, so cuBLAS in FP16 (Volta asks for FP32 output).
/// - CUDA, Pascal: dp4a MMQ for quantized types where the chip has dp4a (not P100: cuBLAS in its
///   fast FP16); F16 weights without fast FP16 (GP102/104) run FP32 GEMM.
/// - ROCm: RDNA 3/3.5/4 and CDNA 3 run MMQ on WMMA/MFMA (RDNA 3 sends Q2_K, Q6_K, IQ2_XS and
///   IQ2_S beyond 128 tokens to hipBLAS); CDNA 1/2 only Q4_0, Q4_1, Q5_0, Q5_1 at 512 tokens;
///   RDNA 1/2 and Vega 20 dp4a MMQ; Vega 10 hipBLAS. hipBLAS accumulates in FP32 on RDNA 4 and
///   CDNA, in FP16 elsewhere.
/// - Vulkan: cooperative-matrix F16 GEMM where the device has matrix units (NVIDIA Turing+, AMD
///   RDNA 3+, Intel Xe2); without them integer-dot MMQ for quantized types, else FP32 shaders.
/// Metal and the CPU have one path each and keep their own peaks (`ComputePeak`).
public enum PrefillKernel: String, Sendable, CaseIterable {
    /// Quantized matrix multiplication on INT8 matrix units.
    case mmq
    /// Quantized matrix multiplication with int8 dot products on the shader cores.
    case dp4a
    /// Weights dequantized to F16 for cuBLAS / hipBLAS.
    case blasF16 = "blas_f16"
    /// Vulkan cooperative-matrix F16 GEMM.
    case coopmat
    /// FP32 shader GEMM.
    case scalar

    /// Weight types ggml's MMQ multiplies (`ggml_cuda_should_use_mmq`).
    static let mmqTypes: Set<String> = [
        "Q1_0", "Q2_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
        "IQ1_S", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ4_XS", "IQ4_NL", "MXFP4", "NVFP4",
    ]

    /// The first llama.cpp build of PR #8075 ("CUDA: use MMQ instead of cuBLAS by default",
    /// merged 2024-06-24; the release numbers of that week were about 3200): before it, GPUs with
    /// FP16 tensor cores multiplied prompts of more than 32 tokens with cuBLAS in FP16 whatever the
    /// weights' type, and MMQ (dp4a) ran only on Pascal. The calibration runs hold no build between
    /// b3000 and b3500, so the exact number moves no fit.
    public static let cudaMMQDefaultBuild = 3200

    /// The kernel `backend` runs weights of `family` (the quantization's base type) with on a
    /// GPU of `architecture` (config/gpus.toml's names), in llama.cpp build `build` (nil: a
    /// current one); nil for Metal, the CPU and unknown backends.
    public static func choose(
        backend: String,
        architecture: String?,
        family: String,
        build: Int? = nil
    ) -> PrefillKernel? {
        let arch = architecture ?? ""
        let quantized = mmqTypes.contains(family)
        switch backend {
        case "cuda":
            switch arch {
            case "Pascal": return quantized ? .dp4a : .blasF16
            case "Volta": return .blasF16
            default:
                if let build, build < cudaMMQDefaultBuild { return .blasF16 }
                return quantized ? .mmq : .blasF16
            }
        case "rocm":
            guard quantized else { return .blasF16 }
            switch arch {
            case "RDNA 3": return ["Q2_K", "Q6_K", "IQ2_XS", "IQ2_S"].contains(family) ? .blasF16 : .mmq
            case "RDNA 3.5", "RDNA 4", "CDNA 3", "CDNA 4": return .mmq
            case "CDNA", "CDNA 2": return ["Q4_0", "Q4_1", "Q5_0", "Q5_1"].contains(family) ? .mmq : .blasF16
            case "GCN 5": return .blasF16
            default: return .dp4a
            }
        case "vulkan":
            let matrixUnits = [
                "Turing", "Ampere", "Ada Lovelace", "Hopper", "Blackwell", "RDNA 3", "RDNA 3.5", "RDNA 4", "Battlemage",
            ]
            if matrixUnits.contains(arch) { return .coopmat }
            return quantized ? .dp4a : .scalar
        default:
            return nil
        }
    }

    /// How a kernel gets quantized weights into the form its multiply-adds take, on the shader
    /// cores: in its own tiles for every token tile (MMQ, dp4a, Vulkan's shaders), or once per
    /// micro-batch by a conversion kernel that writes them out as F16 for BLAS.
    public enum Unpacking: Sendable, Equatable {
        case inTiles
        case perMicroBatch
    }

    /// Weight types stored as floats, which no kernel unpacks.
    public static let floatTypes: Set<String> = ["F16", "BF16", "F32"]

    /// How this kernel unpacks weights of `family`; nil for float weights.
    public func unpacking(family: String) -> Unpacking? {
        guard !Self.floatTypes.contains(family) else { return nil }
        return self == .blasF16 ? .perMicroBatch : .inTiles
    }

    /// The share of a GPU's datasheet tensor peak that ggml's own CUDA kernels can reach: they
    /// issue Ampere's warp-level `mma.sync` (`mma.cuh`), and Hopper's tensor cores reach their
    /// datasheet rate only through the warpgroup `wgmma` instructions, twice `mma.sync`'s
    /// throughput there (r/CUDA "Since WGMMA has 2x throughput of WMMA in H100 GPU": WMMA "goes
    /// only up to 50% of peak theoretical"; waynehacking8/blackwell-tensorcore-kernels: "Hopper's
    /// Tensor Core ceiling is only reachable through wgmma"). cuBLAS issues `wgmma` and keeps the
    /// whole peak; every other architecture's `mma.sync` is its full rate.
    public static func mmaSyncShare(architecture: String?) -> Double {
        architecture == "Hopper" ? 0.5 : 1
    }

    /// The unit a prompt's attention runs on, whatever the weights' type: llama.cpp's flash
    /// attention kernels multiply F16 K and V on the FP16 matrix unit, accumulating in FP16 at
    /// the default precision (`fattn-mma-f16`, rocWMMA, Vulkan's coopmat FA), or on the shader
    /// cores where a GPU has no matrix unit; on Hopper at `mma.sync`'s share (`mmaSyncShare`).
    public static func attentionPeak(_ peaks: GPUPeaks?, architecture: String? = nil) -> Double? {
        guard let peaks else { return nil }
        if let matrix = peaks.fp16Acc16FlopsPerS ?? peaks.fp16Acc32FlopsPerS {
            return matrix * mmaSyncShare(architecture: architecture)
        }
        return peaks.fp32FlopsPerS
    }

    /// The peak this kernel runs at on a GPU with `peaks`, for weights of `family`: nil when the
    /// table lacks it.
    public func peak(_ peaks: GPUPeaks?, architecture: String?, family: String) -> Double? {
        guard let peaks else { return nil }
        switch self {
        case .mmq:
            return peaks.int8OpsPerS.map { $0 * Self.mmaSyncShare(architecture: architecture) }
        case .dp4a:
            return peaks.int8OpsPerS
        case .blasF16:
            // P40-class Pascal has no fast FP16: cuBLAS runs FP32. BF16 weights and the
            // architectures that ask for FP32 output accumulate in FP32.
            if architecture == "Pascal", peaks.fp16Acc16FlopsPerS == nil { return peaks.fp32FlopsPerS }
            let wide =
                family == "BF16"
                || ["Volta", "RDNA 4", "CDNA", "CDNA 2", "CDNA 3", "CDNA 4"].contains(architecture ?? "")
            return wide
                ? peaks.fp16Acc32FlopsPerS ?? peaks.fp16Acc16FlopsPerS
                : peaks.fp16Acc16FlopsPerS ?? peaks.fp16Acc32FlopsPerS
        case .coopmat:
            // ggml-vulkan's dequantizing mat-mat pipelines accumulate in FP16 at the default
            // precision, with coopmat2 and with coopmat where the device offers FP16 accumulators
            // (`ggml_vk_get_mul_mat_mat_pipeline`: `.f16acc` when `prec == GGML_PREC_DEFAULT`).
            return peaks.fp16Acc16FlopsPerS ?? peaks.fp16Acc32FlopsPerS
        case .scalar:
            return peaks.fp32FlopsPerS
        }
    }
}
