/// One way llama.cpp could place a model on a machine, as values: the memory on each device,
/// whether it fits (now), what a decoded token and a prompt cost there, why it was considered
/// and the flags that realise it. `PlacementChooser` picks among them.
struct PlacementCandidate: Sendable {
    var mode: PlacementMode
    var fits: Bool
    var fitsNow: Bool?
    var gpuLayers: Int
    var shares: [FitReport.DeviceShare]
    /// The GPUs llama.cpp places work on: each holds its backend's context and the `--fit`
    /// margin (`GPURuntimeMemory`).
    var gpusUsed: [FitEngine.Devices.GPU]
    /// Weights in RAM that the GPU multiplies in prompt processing (`PromptOffload`).
    var hostWeightBytes: Int64 = 0
    /// The repacked copy of the weights on the CPU (`CPURepack`).
    var repack: Int64 = 0
    /// Nil: nothing to run (`none`).
    var decode: DecodeCost?
    /// Set for the chosen placement only (`PlacementContext.prefillCost(of:)`).
    var prefill: PrefillCost? = nil
    /// Decode tokens/s at depth 0.
    var speed: Double?
    /// The rate, efficiency and per-layer cost behind `speed`; notes in `basisNotes`.
    var basis: FitReport.Basis
    var basisNotes: [BasisNote] = []
    var why: PlacementReason
    var flags: String
    /// `numactl` options to run llama.cpp under (`NUMAPlan`), and why the other NUMA policies
    /// lose.
    var numactl: String?
    var numaReasons: [PlacementReason] = []

    init(
        mode: PlacementMode,
        fits: Bool,
        fitsNow: Bool?,
        gpuLayers: Int,
        shares: [FitReport.DeviceShare],
        gpusUsed: [FitEngine.Devices.GPU],
        hostWeightBytes: Int64 = 0,
        repack: Int64 = 0,
        decode: DecodeCost?,
        basis: FitReport.Basis,
        basisNotes: [BasisNote] = [],
        why: PlacementReason,
        flags: String,
        numactl: String? = nil,
        numaReasons: [PlacementReason] = []
    ) {
        self.mode = mode
        self.fits = fits
        self.fitsNow = fitsNow
        self.gpuLayers = gpuLayers
        self.shares = shares
        self.gpusUsed = gpusUsed
        self.hostWeightBytes = hostWeightBytes
        self.repack = repack
        self.decode = decode
        speed = decode?.tokensPerSecond(kvBytes: 0)
        self.basis = basis
        self.basisNotes = basisNotes
        self.why = why
        self.flags = flags
        self.numactl = numactl
        self.numaReasons = numaReasons
    }

    /// The GPU backends' contexts, bytes.
    var context: Int64 { gpusUsed.reduce(0) { $0 + GPURuntimeMemory.contextBytes(backend: $1.backend) } }
    /// llama.cpp's `--fit` margin on every GPU used, bytes.
    var margin: Int64 { GPURuntimeMemory.fitMarginBytes * Int64(gpusUsed.count) }

    /// Decode tokens/s with `kvBytes` of KV cache read per token.
    func speed(kvBytes: Int64) -> Double? { decode?.tokensPerSecond(kvBytes: kvBytes) }

    /// llama.cpp's flags for this placement and the request's context, cache and parallelism.
    func launch(_ r: FitEngine.Request) -> String {
        var parts = [flags, "-c \(r.context)", r.model.yarnFlags(context: r.context) ?? ""]
        if !r.flashAttention { parts.append("-fa off") }
        if r.kvType != "f16" { parts.append("-ctk \(r.kvType) -ctv \(r.kvType)") }
        if r.parallel > 1 { parts.append("--parallel \(r.parallel)") }
        if let threads = r.threads, shares.contains(where: { $0.device == .cpu }) { parts.append("-t \(threads)") }
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Nothing placed: the machine's memory is unknown.
    static func none(bytesPerToken: Int64) -> PlacementCandidate {
        PlacementCandidate(
            mode: .none,
            fits: false,
            fitsNow: false,
            gpuLayers: 0,
            shares: [],
            gpusUsed: [],
            decode: nil,
            basis: .init(
                bandwidthSource: "unknown",
                effectiveBandwidthBytesPerS: nil,
                bytesPerToken: bytesPerToken,
                efficiency: nil,
                perLayerSeconds: nil,
                notes: []
            ),
            why: .noMemoryFigure,
            flags: ""
        )
    }

    /// Whether every device's share fits in what is free on it now; nil when some device's free
    /// memory is unknown (only live drivers and /proc/meminfo know it).
    static func fitsNow(_ shares: [(free: Int64?, need: Int64)]) -> Bool? {
        var all = true
        for share in shares {
            guard let free = share.free else { return nil }
            all = all && share.need <= free
        }
        return all
    }
}
