/// Decides which advertised instruction-set features a process can really use.
///
/// The kernel's flags say what the CPU advertises; the OS must also enable the register state:
/// AVX needs XCR0 bits 1–2 (SSE, AVX), AVX-512 also bits 5–7 (opmask, ZMM), and AMX needs the
/// kernel to grant XTILEDATA to the process (`arch_prctl(ARCH_REQ_XCOMP_PERM)`). On the 2-core
/// development VMs `cpuid` shows AMX but the kernel refuses it; a llama.cpp built natively there
/// dies with SIGILL, so canrun reports AMX as present-but-unusable.
public enum ISAAssessment {
    /// What the OS allows. `nil` fields mean "not checked" (a replayed machine): the flags are then
    /// taken as usable, except AMX, which needs the live grant.
    public struct OSSupport: Sendable, Equatable {
        /// XCR0 as `xgetbv(0)` returns it.
        public var xcr0: UInt64?
        /// Whether the kernel granted AMX tile data to this process.
        public var amxPermitted: Bool?

        public init(xcr0: UInt64? = nil, amxPermitted: Bool? = nil) {
            self.xcr0 = xcr0
            self.amxPermitted = amxPermitted
        }
    }

    /// The flags that matter for inference kernels (llama.cpp, ggml, oneDNN, KleidiAI).
    public static let relevantFlags: [String] = [
        "sse4_2", "f16c", "fma", "avx", "avx2", "avx_vnni", "avx_vnni_int8", "avx_ne_convert", "avx512f",
        "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16",
        "avx512vbmi", "avx512_vbmi2", "avx10_1", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16",
        // ARM (`Features` in /proc/cpuinfo; `asimd` is NEON)
        "asimd", "asimdhp", "asimddp", "fphp", "i8mm", "bf16", "sve", "sve2", "sme", "sme2",
    ]

    public struct Result: Sendable, Equatable {
        public var usable: [String]
        public var unusable: [String]
        public var notes: [String]
    }

    public static func assess(flags: Set<String>, support: OSSupport) -> Result {
        var usable: [String] = []
        var unusable: [String] = []
        var notes: [String] = []
        let avxState: Bool? = support.xcr0.map { $0 & 0b110 == 0b110 }
        let zmmState: Bool? = support.xcr0.map { $0 & 0b1110_0110 == 0b1110_0110 }
        for flag in relevantFlags where flags.contains(flag) {
            let allowed: Bool? =
                if flag.hasPrefix("amx") {
                    support.amxPermitted ?? false
                } else if flag.hasPrefix("avx512") || flag.hasPrefix("avx10") {
                    zmmState
                } else if flag.hasPrefix("avx") || flag == "fma" || flag == "f16c" {
                    avxState
                } else {
                    true
                }
            if allowed ?? true { usable.append(flag) } else { unusable.append(flag) }
        }
        if flags.contains("asimd") { usable.append("neon") }
        if unusable.contains(where: { $0.hasPrefix("amx") }) {
            notes.append(
                support.amxPermitted == nil
                    ? "AMX advertised, but usability needs a live check (kernel XTILEDATA grant): not assumed"
                    : "AMX advertised but the kernel refuses XTILEDATA to this process: not usable"
            )
        }
        if unusable.contains(where: { $0.hasPrefix("avx512") }) {
            notes.append("AVX-512 advertised but the OS has not enabled ZMM state (XCR0): not usable")
        }
        return Result(usable: usable.sorted(), unusable: unusable.sorted(), notes: notes)
    }
}
