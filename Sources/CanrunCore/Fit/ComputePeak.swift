/// Peak floating-point throughput of the processors a fit runs on, FLOP/s.
public enum ComputePeak {
    /// FP32 lanes of the widest vector FMA the CPU can use per pipe, counted against two pipes:
    /// 16 with AVX-512, 8 with AVX2+FMA, 4 with NEON/ASIMD. Zen 4 runs AVX-512 through 256-bit
    /// datapaths (each 512-bit FMA takes two passes), so an AMD CPU with AVX-512 but without
    /// AVX-VNNI (which Zen 5 added) counts 8. ARM cores with four 128-bit SIMD pipes instead of
    /// two (Neoverse V1/V2/V3 and the Cortex-X series, by their software optimisation guides;
    /// `model` as the probe names them from the MIDR part) count 8; SVE's width varies by core
    /// and counts as NEON.
    public static func fp32Lanes(isa: [String], vendor: String? = nil, model: String? = nil) -> Int? {
        let set = Set(isa)
        if set.contains("avx512f") {
            let zen4 = vendor == "AuthenticAMD" && !set.contains("avx_vnni")
            return zen4 ? 8 : 16
        }
        if set.contains("avx2") && set.contains("fma") { return 8 }
        if set.contains("avx") { return 8 }
        if set.contains("asimd") || set.contains("neon") { return fourSIMDPipes(model) ? 8 : 4 }
        return nil
    }

    /// ARM cores whose NEON issues to four 128-bit pipes.
    static func fourSIMDPipes(_ model: String?) -> Bool {
        guard let model else { return false }
        return ["Neoverse V1", "Neoverse V2", "Neoverse V3", "Cortex-X"].contains { model.hasPrefix($0) }
    }

    /// CPU peak: physical cores × clock × lanes × 2 FMA pipes × 2 FLOPs per FMA. The two-pipe
    /// assumption holds for current server and desktop cores (Golden Cove, Zen 4/5 at 256 bits,
    /// Neoverse V-series); prefill's fitted efficiency absorbs what a core does differently.
    /// Nil when the core count, clock or vector unit is unknown.
    public static func cpuFlopsPerS(_ cpu: CPUFacts?, threads: Int? = nil) -> Double? {
        laneCycles(cpu, threads: threads).map { $0 * 2 * 2 }
    }

    /// Cores (at most `threads`) × clock × FP32 lanes, per second: what both peaks scale.
    private static func laneCycles(_ cpu: CPUFacts?, threads: Int? = nil) -> Double? {
        guard let cpu, let cores = cpu.cores, cores > 0, let mhz = cpu.frequencyMaxMhz, mhz > 0,
            let lanes = fp32Lanes(isa: cpu.isa, vendor: cpu.vendor, model: cpu.model)
        else { return nil }
        return Double(min(cores, threads ?? cores)) * Double(mhz) * 1e6 * Double(lanes)
    }

    /// Weights per second the CPU's cores multiply in decode (matrix × vector: dequantise, dot):
    /// cores × clock × `weightsPerCycle` (fitted at 8 FP32 lanes) × lanes ÷ 8. llama.cpp runs
    /// one thread per physical core by default; `threads` runs fewer (more count as the cores:
    /// SMT siblings share a core's vector units). Nil when the core count, clock or vector unit
    /// is unknown.
    public static func cpuDecodeWeightsPerS(_ cpu: CPUFacts?, weightsPerCycle: Double, threads: Int? = nil) -> Double? {
        laneCycles(cpu, threads: threads).map { $0 * weightsPerCycle / 8 }
    }

    /// Apple GPUs: 128 FP32 ALUs per core (Apple's M1 and M2 GPU descriptions: "128 execution
    /// units" per core) × 2 FLOPs per FMA × the GPU clock. Apple publishes M1 at 1.278 GHz
    /// ("2.6 TFLOPS" for 8 cores) and M2 at 1.398 GHz ("3.6 TFLOPS" for 10 cores), and no clock
    /// from M3 on; third-party databases disagree. M3 counts 1.6 GHz (the TechPowerUp-derived
    /// "boost 1,600 MHz, 16.4 TFLOPS" for the 40-core M3 Max): in one campaign on one llama.cpp
    /// build (XiongjieDai's, b2795), the M3 Max's pp512 per GPU core and GHz is within 8 % of the
    /// M1 Max's at 1.6 GHz, and 15-25 % above it at the 1.398 GHz other tables give. M4 has the
    /// M3's GPU generation (Metal's Apple9 family) and no published clock either; it counts the
    /// M3's 1.6 GHz, a floor: a Mac mini M4's published pp512 (normiebench, llama-3.1-8b Q4_K_M,
    /// 224.8 t/s) is 15 % above what that clock predicts, so its real clock is likely higher. M5
    /// and later multiply in the GPU cores' matrix units (Metal 4 tensors), which no FP32 clock
    /// describes: nil.
    public static func appleGPUFlopsPerS(chip: String, gpuCores: Int) -> Double? {
        guard let ghz = appleGPUClockGHz(chip: chip) else { return nil }
        return Double(gpuCores) * 128 * 2 * ghz * 1e9
    }

    /// The GPU clock `appleGPUFlopsPerS` assumes for an Apple chip, GHz; nil for chips it does
    /// not know (M5 and later).
    public static func appleGPUClockGHz(chip: String) -> Double? {
        if chip.hasPrefix("Apple M1") { return 1.278 }
        if chip.hasPrefix("Apple M2") { return 1.398 }
        if chip.hasPrefix("Apple M3") || chip.hasPrefix("Apple M4") { return 1.6 }
        return nil
    }
}
