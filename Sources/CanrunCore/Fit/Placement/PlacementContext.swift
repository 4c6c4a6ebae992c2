/// What every placement kind asks of one fit: the model's parts at one context, the machine's
/// pools, the fitted efficiencies, and the CPU's rates worked out once.
struct PlacementContext {
    let parts: FitEngine.Parts
    let devices: FitEngine.Devices
    let efficiency: EfficiencyTable
    /// The weights' quantization family (`Q4_K` for `Q4_K_M`).
    let quantFamily: String
    /// The CPU backend's decode efficiency against the rate canrun has: η against a measured
    /// read, η × the sustained share of the peak against a theoretical one (`peakReadShare`).
    let cpuEta: Double?
    /// The share of the theoretical peak applied in `cpuEta`; nil when the rate was measured.
    let cpuPeakReadShare: Double?
    /// The CPU threads' synchronisation per layer and token: the CPU backend's τ when more than
    /// one thread works, else 0.
    let cpuSyncSecondsPerLayer: Double
    /// Weights a CPU core multiplies per cycle for this family, and the whole CPU per second.
    let cpuWeightsPerCycle: Double?
    let cpuWeightsPerS: Double?
    /// Weights, KV cache and compute buffer: what every placement holds somewhere.
    let hostNeed: Int64

    /// The kinds, in the order their candidates are listed (the chooser's ties keep it).
    static let kinds: [any Placement] = [
        CPUOnlyPlacement(), UnifiedPlacement(), SingleGPUPlacement(), MultiGPUPlacement(),
        MoEExpertsOnCPUPlacement(), PartialOffloadPlacement(),
    ]

    /// Every placement the machine offers. Their prompt costs are left out: only the chosen one
    /// needs it (`prefillCost(of:)`), and the max-context search asks for the candidates many
    /// times.
    var candidates: [PlacementCandidate] { Self.kinds.compactMap { $0.candidate(in: self) } }

    /// Seconds a token spends synchronising the CPU's threads over `layers` layers.
    func cpuSyncSeconds(layers: Int) -> Double { Double(max(0, layers)) * cpuSyncSecondsPerLayer }

    /// Seconds the CPU's cores take to multiply `weights` (0 when its rate is unknown).
    func cpuComputeSeconds(_ weights: Int64) -> Double { cpuWeightsPerS.map { Double(weights) / $0 } ?? 0 }

    /// The CPU's read rate for `need` bytes in RAM: the fastest NUMA policy that holds them, with
    /// its flags and why the other policies lose; one node: the measured (or peak) rate.
    func cpuRead(
        need: Int64
    ) -> (
        bandwidth: Int64?, flag: String, numactl: String?, reasons: [PlacementReason]
    ) {
        let d = devices
        guard let chosen = d.numa.choice(need: need) else {
            return (d.cpuBandwidth, d.numaNodes > 1 ? " --numa distribute" : "", nil, [])
        }
        var reasons = d.numa.options.filter { $0 != chosen }.map {
            PlacementReason.numaLost($0, to: chosen, need: need)
        }
        if chosen.policy == .distribute { reasons.insert(.numaDropPageCache, at: 0) }
        return (chosen.readBytesPerS, " --numa \(chosen.llamaFlag)", chosen.numactl, reasons)
    }

    /// How the CPU-only decode figure was bounded.
    func cpuNotes(bandwidth: Int64?) -> [BasisNote] {
        var notes: [BasisNote] = []
        if let rate = cpuWeightsPerS, let perCycle = cpuWeightsPerCycle, let cpu = devices.cpu,
            let cores = cpu.cores, let mhz = cpu.frequencyMaxMhz
        {
            notes.append(
                .cpuCompute(
                    cores: min(cores, devices.cpuThreads ?? cores),
                    frequencyMHz: mhz,
                    weightsPerCycle: perCycle,
                    quant: quantFamily,
                    weightsPerS: rate
                )
            )
            if let bw = bandwidth, let eta = cpuEta,
                cpuComputeSeconds(parts.activeWeights) > Double(parts.activeBytes) / (Double(bw) * eta)
            {
                notes.append(.cpuComputeBound)
            }
        } else {
            notes.append(.cpuComputeUnknown)
        }
        if let calibrated = efficiency.cpuCalibration { notes.append(.cpuCalibrated(calibrated)) }
        if let share = cpuPeakReadShare { notes.append(.cpuPeakReadShare(share)) }
        if cpuSyncSecondsPerLayer > 0 {
            notes.append(.cpuThreadSync(threads: devices.cpuThreads, secondsPerLayer: cpuSyncSecondsPerLayer))
        }
        return notes
    }

    /// The decode basis: a rate from `source`, the efficiency and the per-layer cost.
    func basis(_ source: String, _ bandwidth: Int64?, _ eta: Double?, _ tau: Double?) -> FitReport.Basis {
        .init(
            bandwidthSource: source,
            effectiveBandwidthBytesPerS: bandwidth.flatMap { b in eta.map { Int64(Double(b) * $0) } },
            bytesPerToken: parts.activeBytes,
            efficiency: eta,
            perLayerSeconds: tau,
            notes: []
        )
    }

    /// The flags that keep llama.cpp on GPU `gpu` alone: none on a one-GPU machine; with
    /// several, `-sm none -mg N`, since llama.cpp splits layers over every visible GPU by default
    /// (`-sm layer`), and a token would cross between them for nothing when one holds the model.
    /// N counts the discrete GPUs in the order the profile lists them (PCI order, which llama.cpp's
    /// CUDA and ROCm backends follow with `CUDA_DEVICE_ORDER=PCI_BUS_ID`).
    func pinning(_ gpu: FitEngine.Devices.GPU) -> String {
        guard devices.gpus.count > 1 else { return "" }
        return " -sm none -mg \(devices.gpus.filter { $0.index < gpu.index }.count)"
    }

    /// A GPU's part of a decoded token: `weightBytes` and `kvFraction` of the KV cache streamed
    /// at its rate × its backend's η, and `multipliedWeights` through its FP32 units at κ.
    func gpuDecodeShare(
        _ gpu: FitEngine.Devices.GPU,
        weightBytes: Int64,
        kvFraction: Double,
        multipliedWeights: Int64
    ) -> DecodeCost.Share {
        let backend = efficiency.model.backends[gpu.backend]
        return .init(
            device: .gpu(gpu.index),
            weightBytes: weightBytes,
            kvFraction: kvFraction,
            bandwidthBytesPerS: gpu.bandwidth,
            efficiency: backend?.eta,
            multipliedWeights: multipliedWeights,
            fp32FlopsPerS: gpu.peaks?.fp32FlopsPerS,
            weightsPerFP32Flop: backend?.weightsPerFP32Flop
        )
    }

    /// A GPU's bandwidth (its source, else the table) and its backend's η and τ.
    func basis(of gpu: FitEngine.Devices.GPU) -> FitReport.Basis {
        let backend = efficiency.model.backends[gpu.backend]
        return basis(gpu.bandwidthSource ?? "table", gpu.bandwidth, backend?.eta, backend?.tauSecondsPerLayer)
    }

    /// The activations a split sends over `link` `copies` times per token.
    func transfer(copies: Int, over rate: PCIeCopyRate) -> ActivationTransfer {
        ActivationTransfer(copiesPerToken: copies, hiddenSize: parts.model.hiddenSize, rate: rate)
    }

    /// A GPU's share of a prompt: at the peak of its kernel's unit (`PrefillKernel`) where the
    /// table gives it, else at its FP16 figure with the backend's η (Metal, unknown peaks).
    func gpuShare(_ gpu: FitEngine.Devices.GPU, fraction: Double) -> PrefillCost.Share {
        let model = efficiency.prefill
        if let kernel = PrefillKernel.choose(
            backend: gpu.backend,
            architecture: gpu.architecture,
            family: quantFamily,
            build: parts.llamaBuild
        ),
            let peak = kernel.peak(gpu.peaks, architecture: gpu.architecture, family: quantFamily)
        {
            let unpacking = kernel.unpacking(family: quantFamily)
            return .init(
                device: .gpu(gpu.index),
                fraction: fraction,
                peakFlopsPerS: peak,
                efficiency: model.efficiency(backend: gpu.backend, kernel: kernel),
                kernel: kernel,
                peakShare: kernel == .mmq ? PrefillKernel.mmaSyncShare(architecture: gpu.architecture) : 1,
                backend: gpu.backend,
                attentionPeakFlopsPerS: PrefillKernel.attentionPeak(gpu.peaks, architecture: gpu.architecture),
                attentionEfficiency: model.attentionEfficiency(backend: gpu.backend, flash: parts.flashAttention),
                streamBytesPerS: stream(gpu),
                shaderFlopsPerS: gpu.peaks?.fp32FlopsPerS,
                weightsPerShaderFlop: unpacking == nil
                    ? nil : model.weightsPerShaderFlop["\(gpu.backend).\(kernel.rawValue)"],
                clockFraction: model.clockFraction(peaks: gpu.peaks, architecture: gpu.architecture),
                boardPowerW: gpu.peaks?.boardPowerW,
                boardPowerSource: gpu.peaks?.boardPowerSource,
                unpacking: unpacking
            )
        }
        // Metal and GPUs without unit peaks: the FP16 figure with the η fitted on pp512 rows,
        // which carries every term.
        return .init(
            device: .gpu(gpu.index),
            fraction: fraction,
            peakFlopsPerS: gpu.flops,
            efficiency: model.efficiency(backend: gpu.backend, quantFamily: quantFamily),
            backend: gpu.backend
        )
    }

    /// The bytes per second `gpu` streams at when decoding (bandwidth × the backend's η).
    private func stream(_ gpu: FitEngine.Devices.GPU) -> Double? {
        guard let bandwidth = gpu.bandwidth, bandwidth > 0, let eta = efficiency.model.backends[gpu.backend]?.eta
        else { return nil }
        return Double(bandwidth) * eta
    }

    /// What a prompt costs in `c`: the GPU computes everything when llama.cpp offloads the
    /// weights in RAM (CUDA, ROCm; `PromptOffload`), else each device its share of the FLOPs;
    /// with experts in RAM the CPU's share is the routed experts a token uses, not their bytes.
    func prefillCost(of c: PlacementCandidate) -> PrefillCost? {
        let model = efficiency.prefill
        if c.hostWeightBytes > 0, let gpu = c.gpusUsed.first, gpu.backend != "metal",
            let offload = PromptOffload(
                hostWeightBytes: c.hostWeightBytes,
                ubatch: min(parts.ubatch, PrefillSpeedModel.referencePromptTokens),
                rate: PCIeCopyRate(gpu.link)
            )
        {
            return PrefillCost(shares: [gpuShare(gpu, fraction: 1)], offload: offload)
        }
        let total = Double(c.shares.reduce(0) { $0 + $1.bytes })
        guard total > 0 else { return nil }
        let cpuFraction: Double? =
            c.mode == .moeExpertsOnCPU && parts.activeWeights > 0
            ? Double(parts.expertActiveWeights) / Double(parts.activeWeights) : nil
        let gpus = devices.gpus + [devices.unified].compactMap { $0 }
        return PrefillCost(
            shares: c.shares.map { share in
                switch share.device {
                case .cpu:
                    return .init(
                        device: .cpu,
                        fraction: cpuFraction ?? Double(share.bytes) / total,
                        peakFlopsPerS: devices.cpuFlops,
                        efficiency: model.cpuEfficiency(quantFamily: quantFamily, isa: devices.cpu?.isa ?? [])
                    )
                case .gpu(let index):
                    let fraction = cpuFraction.map { 1 - $0 } ?? Double(share.bytes) / total
                    guard let gpu = gpus.first(where: { $0.index == index }) else {
                        return .init(device: share.device, fraction: fraction, peakFlopsPerS: nil, efficiency: nil)
                    }
                    return gpuShare(gpu, fraction: fraction)
                }
            },
            offload: nil
        )
    }
}
