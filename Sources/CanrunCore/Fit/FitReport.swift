/// The answer for one model, quantization and context on one machine (DESIGN §4): memory per
/// part, placement per device, decode speed, verdict in words, the arithmetic behind it
/// (`basis`) and the llama.cpp flags that realise the placement.
public struct FitReport: Codable, Sendable, Equatable {
    public var model: String
    public var quant: String
    /// What the quantization costs the model's answers (`QuantTable.quality(of:)`); nil where no
    /// figure is published for it.
    public var quality: QuantQuality? = nil
    public var contextTokens: Int
    public var kvCacheType: String
    public var runtime: String
    public var memory: Memory
    public var placement: Placement
    /// Fits the machine's total memory.
    public var fits: Bool
    /// Fits what is free right now (free RAM, free VRAM where drivers report it).
    public var fitsNow: Bool?
    public var decodeTokensPerS: Double?
    public var decodeTokensPerSAtFullContext: Double?
    /// With `--parallel N` (N > 1): the sequences served at once, each one's share of the
    /// context (llama.cpp splits `-c` over the slots), each one's decode speed when all decode
    /// together at an empty context, and their sum; nil with one.
    public var parallel: Parallel? = nil

    public struct Parallel: Codable, Sendable, Equatable {
        public var streams: Int
        public var contextPerSlotTokens: Int
        public var perStreamDecodeTokensPerS: Double?
        public var aggregateDecodeTokensPerS: Double?
    }
    /// Prompt tokens/s for a 512-token prompt (llama-bench pp512), compute-bound
    /// (`PrefillSpeedModel`); nil when a device's peak FLOP/s is unknown or the model does not fit.
    public var prefillTokensPerS: Double?
    /// Decode and pp512 prefill with that many tokens already in the context, at the depths
    /// `FitReport.DepthSpeed.depths` below the asked context and at the context itself: reading
    /// the KV cache and attending over it slow both as a conversation grows. Nil when the model
    /// does not fit.
    public var speedAtDepth: [DepthSpeed]?
    /// The largest context (multiple of 256, at most the model's) that fits with this placement.
    public var maxContextTokens: Int
    public var verdict: Verdict
    public var reasons: [String]
    public var basis: Basis
    public var launch: [String: String]
    /// The same as commands to paste (`LaunchCommands`); nil when nothing was placed.
    public var launchCommands: LaunchCommands? = nil
    /// Another launch the KV cache search found (`KVCacheSearch`): a faster one, or one that fits
    /// where this does not; nil when there is none or the cache type was asked.
    public var alternativeLaunch: AlternativeLaunch? = nil

    public struct Memory: Codable, Sendable, Equatable {
        public var weightsBytes: Int64
        public var kvCacheBytes: Int64
        public var computeBufferBytes: Int64
        /// llama.cpp's repacked copy of the CPU's Q4_0/Q4_K weights (`CPURepack`), beside the
        /// mapped file; 0 when nothing the CPU multiplies is repacked.
        public var cpuRepackBytes: Int64
        /// The GPU backends' contexts, summed over the GPUs used (`GPURuntimeMemory`); 0 on the CPU.
        public var backendContextBytes: Int64
        /// llama.cpp's `--fit` margin, summed over the GPUs used; 0 on the CPU.
        public var fitMarginBytes: Int64
        /// `backend_context_bytes + fit_margin_bytes`.
        public var runtimeOverheadBytes: Int64
        /// Every part above.
        public var totalBytes: Int64

        /// The parts; the two sums follow from them.
        public init(
            weightsBytes: Int64,
            kvCacheBytes: Int64,
            computeBufferBytes: Int64,
            cpuRepackBytes: Int64,
            backendContextBytes: Int64,
            fitMarginBytes: Int64
        ) {
            self.weightsBytes = weightsBytes
            self.kvCacheBytes = kvCacheBytes
            self.computeBufferBytes = computeBufferBytes
            self.cpuRepackBytes = cpuRepackBytes
            self.backendContextBytes = backendContextBytes
            self.fitMarginBytes = fitMarginBytes
            runtimeOverheadBytes = backendContextBytes + fitMarginBytes
            totalBytes = weightsBytes + kvCacheBytes + computeBufferBytes + cpuRepackBytes + runtimeOverheadBytes
        }
    }

    public struct Placement: Codable, Sendable, Equatable {
        public var mode: PlacementMode
        public var gpuLayers: Int
        public var devices: [DeviceShare]
    }

    public struct DepthSpeed: Codable, Sendable, Equatable {
        /// The depths reported below the asked context: llama-bench's usual `-d` points.
        public static let depths = [0, 4096, 16384, 32768, 65536, 131072]

        public var depthTokens: Int
        public var decodeTokensPerS: Double?
        public var prefillTokensPerS: Double?
    }

    public struct DeviceShare: Codable, Sendable, Equatable {
        public var device: Device
        public var bytes: Int64
    }

    public struct Basis: Codable, Sendable, Equatable {
        /// `measured` (canrun bench), `smbios_peak`, `nvml`, `table`, or `unknown`.
        public var bandwidthSource: String
        public var effectiveBandwidthBytesPerS: Int64?
        public var bytesPerToken: Int64
        public var efficiency: Double?
        public var perLayerSeconds: Double?
        public var notes: [String]
        /// How the prompt speed was derived, one entry per device computing a share of it
        /// (`PrefillCost`); nil when the model does not fit or its prompt speed is unknown.
        public var prefill: [PrefillShare]? = nil
    }

    /// One device's part of a prompt: the unit its kernel runs on and the terms on top of it
    /// (docs/speed-model.md).
    public struct PrefillShare: Codable, Sendable, Equatable {
        public var device: Device
        /// Its share of the FLOPs, 0 to 1.
        public var fraction: Double
        /// `mmq`, `dp4a`, `blas_f16`, `coopmat`, `scalar`; nil on the CPU and Metal.
        public var kernel: String?
        /// The peak of the unit the kernel runs on, FLOP/s (or op/s), and the fitted η on it.
        public var peakFlopsPerS: Double?
        /// The share of the unit's datasheet peak that `peakFlopsPerS` is: 0.5 where ggml's
        /// `mma.sync` cannot reach what only `wgmma` does (MMQ on Hopper), else 1.
        public var peakShare: Double
        public var efficiency: Double?
        /// Flash attention's η on the FP16 matrix unit; nil where attention runs with the weights.
        public var flashAttentionEfficiency: Double?
        /// Weights the kernel unpacks per FP32 FLOP of the shader cores; nil: no such term.
        public var weightsPerShaderFlop: Double?
        /// The share of the boost clock the board's power holds under matrix work, and that power,
        /// W, from `table` (the rated power) or the driver's enforced limit (`nvml`, `nvidia-smi`,
        /// `amdgpu_sysfs`).
        public var clockFraction: Double
        public var boardPowerW: Double?
        public var boardPowerSource: String?

        init(_ share: PrefillCost.Share) {
            device = share.device
            fraction = share.fraction
            kernel = share.kernel?.rawValue
            peakFlopsPerS = share.peakFlopsPerS
            peakShare = share.peakShare
            efficiency = share.efficiency
            flashAttentionEfficiency = share.attentionEfficiency
            weightsPerShaderFlop = share.weightsPerShaderFlop
            clockFraction = share.clockFraction
            boardPowerW = share.boardPowerW
            boardPowerSource = share.boardPowerSource
        }
    }
}
