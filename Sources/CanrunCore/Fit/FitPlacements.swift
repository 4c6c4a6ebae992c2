/// Where llama.cpp can put a model on a machine: every placement with its memory per device,
/// whether it fits, its decode speed and the words and flags that go with it.
extension FitEngine {
    struct Candidate {
        var mode: String
        var fits: Bool
        var fitsNow: Bool?
        var gpuLayers: Int
        var shares: [FitReport.DeviceShare]
        /// The GPUs llama.cpp places work on: each holds its backend's context and the `--fit`
        /// margin (`GPURuntimeMemory`).
        var gpusUsed: [Devices.GPU]
        /// Weights in RAM that the GPU multiplies in prompt processing (`PromptOffload`).
        var hostWeightBytes: Int64
        /// The repacked copy of the weights on the CPU (`CPURepack`).
        var repack: Int64
        /// Decode tokens/s at depth 0, and at any depth.
        var speed: Double?
        var speedAt: (Int) -> Double?
        var basis: FitReport.Basis
        var why: String
        var flags: String
        /// `numactl` options to run llama.cpp under (`NUMAPlan`), and why the other NUMA
        /// policies lose.
        var numactl: String?
        var numaReasons: [String]

        init(
            mode: String,
            fits: Bool,
            fitsNow: Bool?,
            gpuLayers: Int,
            shares: [FitReport.DeviceShare],
            gpusUsed: [Devices.GPU],
            hostWeightBytes: Int64 = 0,
            repack: Int64 = 0,
            speedAt: @escaping (Int) -> Double?,
            basis: FitReport.Basis,
            why: String,
            flags: String,
            numactl: String? = nil,
            numaReasons: [String] = []
        ) {
            self.mode = mode
            self.fits = fits
            self.fitsNow = fitsNow
            self.gpuLayers = gpuLayers
            self.shares = shares
            self.gpusUsed = gpusUsed
            self.hostWeightBytes = hostWeightBytes
            self.repack = repack
            self.speedAt = speedAt
            speed = speedAt(0)
            self.basis = basis
            self.why = why
            self.flags = flags
            self.numactl = numactl
            self.numaReasons = numaReasons
        }

        var context: Int64 { gpusUsed.reduce(0) { $0 + GPURuntimeMemory.contextBytes(backend: $1.backend) } }
        var margin: Int64 { GPURuntimeMemory.fitMarginBytes * Int64(gpusUsed.count) }
        /// The GPU that multiplies the weights held in RAM when prompts are processed.
        var offloadGPU: Devices.GPU? { hostWeightBytes > 0 ? gpusUsed.first : nil }

        func launch(_ r: Request) -> String {
            var parts = [flags, "-c \(r.context)"]
            if !r.flashAttention { parts.append("-fa off") }
            if r.kvType != "f16" { parts.append("-ctk \(r.kvType) -ctv \(r.kvType)") }
            if r.parallel > 1 { parts.append("--parallel \(r.parallel)") }
            return parts.filter { !$0.isEmpty }.joined(separator: " ")
        }

        static func none(_ parts: Parts) -> Candidate {
            Candidate(
                mode: "none",
                fits: false,
                fitsNow: false,
                gpuLayers: 0,
                shares: [],
                gpusUsed: [],
                speedAt: { _ in nil },
                basis: .init(
                    bandwidthSource: "unknown",
                    effectiveBandwidthBytesPerS: nil,
                    bytesPerToken: parts.activeBytes,
                    efficiency: nil,
                    perLayerSeconds: nil,
                    notes: []
                ),
                why: "no memory figure for this machine: probe it first (canrun probe)",
                flags: ""
            )
        }
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

    /// Seconds per token for `bytes` on each (bandwidth, backend) share plus the per-layer cost.
    private func decodeSpeed(
        _ shares: [(bytes: Int64, bandwidth: Int64?, eta: Double?, computeSeconds: Double)],
        layers: Int,
        tau: Double,
        transfer: ActivationTransfer? = nil
    ) -> Double? {
        var seconds = Double(layers) * tau + (transfer?.seconds ?? 0)
        for share in shares where share.bytes > 0 {
            guard let bw = share.bandwidth, bw > 0, let eta = share.eta, eta > 0 else { return nil }
            // A device streams its bytes and multiplies its weights at once: the slower one sets
            // the pace (few CPU cores cannot keep up with their memory).
            seconds += max(Double(share.bytes) / (Double(bw) * eta), share.computeSeconds)
        }
        return seconds > 0 ? 1 / seconds : nil
    }

    /// - Parameter explain: build the words (reasons, basis notes); the max-context search only
    ///   asks which placements fit.
    func placements(_ p: Parts, devices d: Devices, explain: Bool = true) -> [Candidate] {
        var out: [Candidate] = []
        /// Words for the answer; the max-context search formats none.
        func said(_ text: @autoclosure () -> String) -> String { explain ? text() : "" }
        let base = quants.namedQuant(p.weights.quant)?.base ?? p.weights.quant
        // Memory-bound CPU decode streams every weight type alike; the types differ in compute.
        let cpuEta = efficiency.model.backends["cpu"]?.eta
        let cpuWeightsPerS = cpuWeightsPerCycle(base).flatMap {
            ComputePeak.cpuDecodeWeightsPerS(d.cpu, weightsPerCycle: $0)
        }
        /// Seconds the CPU's cores take to multiply `weights` (0 when its rate is unknown).
        func cpuCompute(_ weights: Int64) -> Double { cpuWeightsPerS.map { Double(weights) / $0 } ?? 0 }
        /// How the CPU-only decode figure was bounded, in words.
        func cpuNotes(_ bandwidth: Int64?) -> [String] {
            guard let rate = cpuWeightsPerS, let perCycle = cpuWeightsPerCycle(base), let cpu = d.cpu,
                let cores = cpu.cores, let mhz = cpu.frequencyMaxMhz
            else { return ["CPU compute bound unknown (cores, clock or vector unit unknown): memory-bound only"] }
            var notes = [
                "CPU compute: \(cores) cores × \(ProfileText.decimal(Double(mhz) / 1000, places: 2)) GHz × "
                    + "\(ProfileText.decimal(perCycle, places: 2)) \(base) weights per cycle (8 lanes) = "
                    + "\(ProfileText.decimal(rate / 1e9, places: 1)) G weights/s"
            ]
            if let bw = bandwidth, let eta = cpuEta,
                cpuCompute(p.activeWeights) > Double(p.activeBytes) / (Double(bw) * eta)
            {
                notes.append("decode is compute-bound: the cores multiply slower than memory streams")
            }
            return notes
        }
        let hostNeed = p.weights.bytes + p.kv.totalBytes + p.compute
        /// The CPU's read rate for `need` bytes in RAM: the fastest NUMA policy that holds them,
        /// with its flags and why the other policies lose; one node: the measured (or peak) rate.
        func cpuRead(need: Int64) -> (bandwidth: Int64?, flag: String, numactl: String?, reasons: [String]) {
            guard let chosen = d.numa.choice(need: need) else {
                return (d.cpuBandwidth, d.numaNodes > 1 ? " --numa distribute" : "", nil, [])
            }
            guard explain else { return (chosen.readBytesPerS, " --numa \(chosen.llamaFlag)", chosen.numactl, []) }
            var reasons = d.numa.options.filter { $0 != chosen }.map { NUMAPlan.why($0, lostTo: chosen, need: need) }
            if chosen.policy == .distribute {
                reasons.insert(
                    "NUMA distribute reads pages where threads first touch them: drop the page cache before the first run (sync; echo 3 > /proc/sys/vm/drop_caches)",
                    at: 0
                )
            }
            return (chosen.readBytesPerS, " --numa \(chosen.llamaFlag)", chosen.numactl, reasons)
        }

        func basis(_ source: String, _ bw: Int64?, _ eta: Double?, _ tau: Double?, _ notes: [String]) -> FitReport.Basis
        {
            .init(
                bandwidthSource: source,
                effectiveBandwidthBytesPerS: bw.flatMap { b in eta.map { Int64(Double(b) * $0) } },
                bytesPerToken: p.activeBytes,
                efficiency: eta,
                perLayerSeconds: tau,
                notes: notes
            )
        }
        /// A GPU's bandwidth (its source, else the table) and its backend's η and τ, with the
        /// activation copies of a split placement when there are any.
        func basisOf(_ gpu: Devices.GPU, transfer: ActivationTransfer? = nil) -> FitReport.Basis {
            let backend = efficiency.model.backends[gpu.backend]
            let notes = explain ? [transfer?.note].compactMap { $0 } : []
            return basis(
                gpu.bandwidthSource ?? "table",
                gpu.bandwidth,
                backend?.eta,
                backend?.tauSecondsPerLayer,
                notes
            )
        }

        // CPU only.
        if let total = d.hostTotal {
            let need = hostNeed + p.repack
            let numa = cpuRead(need: need)
            let fits = need <= total
            out.append(
                Candidate(
                    mode: "cpu",
                    fits: fits,
                    fitsNow: Self.fitsNow([(d.hostFree, need)]),
                    gpuLayers: 0,
                    shares: [.init(device: "cpu", bytes: need)],
                    gpusUsed: [],
                    repack: p.repack,
                    speedAt: { depth in
                        self.decodeSpeed(
                            [
                                (
                                    p.activeBytes + p.kvRead(depth: depth), numa.bandwidth, cpuEta,
                                    cpuCompute(p.activeWeights)
                                )
                            ],
                            layers: p.layers,
                            tau: 0
                        )
                    },
                    basis: basis(
                        d.cpuBandwidthSource,
                        numa.bandwidth,
                        cpuEta,
                        0,
                        explain ? cpuNotes(numa.bandwidth) : []
                    ),
                    why: said(
                        fits
                            ? "CPU only: \(ProfileText.bytes(need)) of \(ProfileText.bytes(total)) RAM"
                            : "CPU only: needs \(ProfileText.bytes(need)), RAM is \(ProfileText.bytes(total))"
                    ),
                    flags: "-ngl 0" + numa.flag,
                    numactl: numa.numactl,
                    numaReasons: numa.reasons
                )
            )
        }
        /// Everything on one GPU (`-ngl 99`) holding `capacity` bytes, `free` of them now.
        func allOn(_ g: Devices.GPU, mode: String, capacity: Int64, free: Int64?, why: String) -> Candidate {
            let backend = efficiency.model.backends[g.backend]
            let need = hostNeed + g.overhead
            return Candidate(
                mode: mode,
                fits: need <= capacity,
                fitsNow: Self.fitsNow([(free, need)]),
                gpuLayers: p.layers + 1,
                shares: [.init(device: "gpu\(g.index)", bytes: need)],
                gpusUsed: [g],
                speedAt: { depth in
                    self.decodeSpeed(
                        [(p.activeBytes + p.kvRead(depth: depth), g.bandwidth, backend?.eta, 0)],
                        layers: p.layers,
                        tau: backend?.tauSecondsPerLayer ?? 0
                    )
                },
                basis: basisOf(g),
                why: why,
                flags: "-ngl 99"
            )
        }

        // Unified memory (GB10, Apple, Strix Halo): the GPU reads the host's memory.
        if let u = d.unified, let total = d.hostTotal {
            let need = hostNeed + u.overhead
            out.append(
                allOn(
                    u,
                    mode: "unified",
                    capacity: total,
                    free: d.hostFree,
                    why: said(
                        "unified memory: the GPU uses \(ProfileText.bytes(need)) of \(ProfileText.bytes(total)) shared RAM"
                    )
                )
            )
        }
        guard let gpu = d.gpus.first else { return out }
        let backend = efficiency.model.backends[gpu.backend]
        let tau = backend?.tauSecondsPerLayer ?? 0
        let gpuNeed = hostNeed + gpu.overhead
        // One GPU.
        out.append(
            allOn(
                gpu,
                mode: "gpu",
                capacity: gpu.memory,
                free: gpu.free,
                why: said(
                    gpuNeed <= gpu.memory
                        ? "all on gpu\(gpu.index): \(ProfileText.bytes(gpuNeed)) of \(ProfileText.bytes(gpu.memory))"
                        : "all on gpu\(gpu.index): needs \(ProfileText.bytes(gpuNeed)), it has \(ProfileText.bytes(gpu.memory))"
                )
            )
        )
        // Several GPUs, layers split by memory (llama.cpp --tensor-split).
        if d.gpus.count > 1 {
            let total = d.gpus.reduce(Int64(0)) { $0 + $1.memory }
            let need = hostNeed + d.gpus.reduce(Int64(0)) { $0 + $1.overhead }
            let slowest = d.gpus.compactMap(\.bandwidth).min()
            let transfer = ActivationTransfer(
                copiesPerToken: d.gpus.count - 1,
                hiddenSize: p.model.hiddenSize,
                rate: PCIeCopyRate(slowestOf: d.gpus.map(\.link))
            )
            let ratios = d.gpus.map { ProfileText.decimal(Double($0.memory) / Double(1 << 30), places: 0) }.joined(
                separator: ","
            )
            let shares = d.gpus.map {
                FitReport.DeviceShare(
                    device: "gpu\($0.index)",
                    bytes: Int64(Double(need) * Double($0.memory) / Double(total))
                )
            }
            out.append(
                Candidate(
                    mode: "multi_gpu",
                    fits: need <= total,
                    fitsNow: Self.fitsNow(zip(d.gpus, shares).map { ($0.free, $1.bytes) }),
                    gpuLayers: p.layers + 1,
                    shares: shares,
                    gpusUsed: d.gpus,
                    speedAt: { depth in
                        self.decodeSpeed(
                            [(p.activeBytes + p.kvRead(depth: depth), slowest, backend?.eta, 0)],
                            layers: p.layers,
                            tau: tau,
                            transfer: transfer
                        )
                    },
                    basis: basisOf(gpu, transfer: transfer),
                    why: said(
                        "split over \(d.gpus.count) GPUs: \(ProfileText.bytes(need)) of \(ProfileText.bytes(total))"
                    ),
                    flags: "-ngl 99 --tensor-split \(ratios)"
                )
            )
        }
        guard let host = d.hostTotal else { return out }
        /// `onGPU` bytes on the GPU and `onCPU` in RAM, activations crossing the link `copies`
        /// times per token; `pace` is the decode speed at a depth given that crossing.
        func split(
            _ mode: String,
            gpuLayers: Int,
            onGPU: Int64,
            onCPU: Int64,
            repack: Int64,
            hostWeights: Int64,
            copies: Int,
            why: @autoclosure () -> String,
            flags: String,
            pace: @escaping (ActivationTransfer, Int) -> Double?
        ) -> Candidate {
            let transfer = ActivationTransfer(
                copiesPerToken: copies,
                hiddenSize: p.model.hiddenSize,
                rate: PCIeCopyRate(gpu.link)
            )
            return Candidate(
                mode: mode,
                fits: onGPU <= gpu.memory && onCPU <= host,
                fitsNow: Self.fitsNow([(gpu.free, onGPU), (d.hostFree, onCPU)]),
                gpuLayers: gpuLayers,
                shares: [.init(device: "gpu\(gpu.index)", bytes: onGPU), .init(device: "cpu", bytes: onCPU)],
                gpusUsed: [gpu],
                hostWeightBytes: hostWeights,
                repack: repack,
                speedAt: { pace(transfer, $0) },
                basis: basisOf(gpu, transfer: transfer),
                why: said(why()),
                flags: flags
            )
        }
        // MoE: attention, shared experts and KV on the GPU, routed experts in RAM.
        if p.model.isMoE, p.weights.expertBytes > 0 {
            let onGPU = hostNeed - p.weights.expertBytes + gpu.overhead
            // Shares in floating point: byte counts of large MoE models multiply past Int64.
            let expertShare = p.weights.bytes > 0 ? Double(p.weights.expertBytes) / Double(p.weights.bytes) : 0
            let repack = Int64(Double(p.repack) * expertShare)
            let onCPU = p.weights.expertBytes + repack
            let cpuBandwidth = cpuRead(need: onCPU).bandwidth
            let expertWeights = Int64(
                Double(p.activeWeights) * Double(p.expertActiveBytes) / Double(max(1, p.activeBytes))
            )
            out.append(
                split(
                    "moe_experts_on_cpu",
                    gpuLayers: p.layers + 1,
                    onGPU: onGPU,
                    onCPU: onCPU,
                    repack: repack,
                    hostWeights: p.weights.expertBytes,
                    copies: 2 * p.moeLayers,
                    why:
                        "MoE experts in RAM (\(ProfileText.bytes(onCPU))), the rest on gpu\(gpu.index) (\(ProfileText.bytes(onGPU)))",
                    flags: "-ngl 99 -ot exps=CPU --no-mmap"
                ) { transfer, depth in
                    self.decodeSpeed(
                        [
                            (
                                p.activeBytes - p.expertActiveBytes + p.kvRead(depth: depth), gpu.bandwidth,
                                backend?.eta, 0
                            ),
                            (p.expertActiveBytes, cpuBandwidth, cpuEta, cpuCompute(expertWeights)),
                        ],
                        layers: p.layers,
                        tau: tau,
                        transfer: transfer
                    )
                }
            )
        }
        // Partial offload: as many whole layers as fit on the GPU, the rest on the CPU.
        let perLayer = (p.weights.bytes - p.weights.embeddingBytes) / Int64(max(1, p.layers))
        let kvPerLayer = p.kv.totalBytes / Int64(max(1, p.layers))
        let room = gpu.memory - gpu.overhead - p.compute
        let layersOnGPU = room > 0 ? min(p.layers, Int(room / max(1, perLayer + kvPerLayer))) : 0
        if layersOnGPU > 0, layersOnGPU < p.layers {
            let fraction = Double(layersOnGPU) / Double(p.layers)
            let gpuBytes = Int64(Double(p.activeBytes) * fraction)
            let onGPU = Int64(layersOnGPU) * (perLayer + kvPerLayer) + p.compute + gpu.overhead
            let repack = Int64(Double(p.repack) * (1 - fraction))
            let onCPU = hostNeed - onGPU + gpu.overhead + repack
            let cpuBandwidth = cpuRead(need: onCPU).bandwidth
            out.append(
                split(
                    "partial_offload",
                    gpuLayers: layersOnGPU,
                    onGPU: onGPU,
                    onCPU: onCPU,
                    repack: repack,
                    hostWeights: perLayer * Int64(p.layers - layersOnGPU),
                    copies: 1,
                    why: "\(layersOnGPU) of \(p.layers) layers on gpu\(gpu.index), the rest in RAM",
                    flags: "-ngl \(layersOnGPU) --no-mmap"
                ) { transfer, depth in
                    let kv = p.kvRead(depth: depth)
                    return self.decodeSpeed(
                        [
                            (gpuBytes + Int64(Double(kv) * fraction), gpu.bandwidth, backend?.eta, 0),
                            (
                                p.activeBytes - gpuBytes + Int64(Double(kv) * (1 - fraction)), cpuBandwidth, cpuEta,
                                cpuCompute(Int64(Double(p.activeWeights) * (1 - fraction)))
                            ),
                        ],
                        layers: layersOnGPU,
                        tau: tau,
                        transfer: transfer
                    )
                }
            )
        }
        return out
    }
}
