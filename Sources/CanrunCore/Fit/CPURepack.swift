/// llama.cpp's CPU backend copies the weights of some types into an interleaved layout its
/// matrix kernels read faster (the `CPU_REPACK` buffer). The copy is allocated beside the
/// memory-mapped file, which stays mapped: weights the CPU multiplies in a repacked type take
/// their bytes twice while the model is loaded.
///
/// Measured with `Benchmarks/llama-cpp-check/repack.py` (llama-cpp-python 0.3.36, AVX2 EPYC):
/// the buffer equals the bytes of the multiplied Q4_0, Q4_K and IQ4_NL tensors exactly (1.1 B Llama:
/// Q4_0 519.8 MiB, IQ4_NL 501.2 MiB, Q3_K_M's Q4_K tensors 185.1 MiB), and nothing for Q4_1,
/// Q5_0, Q8_0, Q2_K, Q3_K, Q5_K, Q6_K or IQ4_XS tensors. The token embedding table is only gathered from
/// and never repacked.
public enum CPURepack {
    /// The ggml types llama.cpp repacks on a CPU with this instruction set (upper case), empty
    /// when it repacks none: x86 needs AVX2; Arm needs the dot-product extension.
    public static func types(isa: [String]) -> Set<String> {
        let flags = Set(isa.map { $0.lowercased() })
        if flags.contains("avx2") { return ["Q4_0", "Q4_K", "IQ4_NL"] }
        if flags.contains("asimddp") { return ["Q4_0", "IQ4_NL"] }
        return []
    }

    /// Bytes of the repacked copy when all of `weights` sit on a CPU with `isa`.
    public static func bytes(_ weights: WeightsEstimate, isa: [String]) -> Int64 {
        bytes(weights, types: types(isa: isa))
    }

    /// Bytes of the repacked copy of `weights` for the repacked `types` (upper case).
    public static func bytes(_ weights: WeightsEstimate, types repacked: Set<String>) -> Int64 {
        guard !repacked.isEmpty else { return 0 }
        return weights.multipliedBytesByType.reduce(0) { $0 + (repacked.contains($1.key) ? $1.value : 0) }
    }
}
