import Foundation

/// Decides where a model runs on a machine and how fast (DESIGN §4), for llama.cpp: the memory
/// of each part per the runtime's allocation rules, every placement that fits (one GPU, several
/// GPUs, MoE experts on the CPU, partial offload, CPU only, unified memory), and decode speed
/// from measured (or table) bandwidth through the fitted `DecodeSpeedModel`. The fastest
/// placement that fits wins; `reasons` say why the others lose.
public struct FitEngine: Sendable {
    public struct Request: Sendable {
        public var model: ModelSpec
        public var quant: String
        public var context: Int
        public var kvType: String
        public var parallel: Int
        public var ubatch: Int
        /// Weights measured exactly (a GGUF file's tensor table); nil: estimated from the
        /// architecture and the quantization recipe.
        public var weights: WeightsEstimate?
        /// llama.cpp's `-fa`; its default `auto` turns flash attention on for the CPU, CUDA and
        /// Metal backends. Off, the attention scores take compute-buffer memory (`ComputeBufferModel`).
        public var flashAttention: Bool

        public init(
            model: ModelSpec,
            quant: String,
            context: Int,
            kvType: String = "f16",
            parallel: Int = 1,
            ubatch: Int = 512,
            flashAttention: Bool = true
        ) {
            self.model = model
            self.quant = quant
            self.context = context
            self.kvType = kvType
            self.parallel = parallel
            self.ubatch = ubatch
            self.flashAttention = flashAttention
        }
    }

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case unknownQuant(String)
        case impossibleContext(requested: Int, max: Int)

        public var description: String {
            switch self {
            case .unknownQuant(let q):
                "unknown quantization '\(q)' (canrun models show MODEL lists the ones that apply)"
            case .impossibleContext(let requested, let max):
                "context \(requested) is impossible: the model was trained for at most \(max) tokens (and at least 1)"
            }
        }
    }

    /// Decode speeds for the verdict, tokens per second: reading speed and a usable floor.
    public static let runsWell = 10.0
    public static let runs = 3.0

    public let quants: QuantTable
    let efficiency: EfficiencyTable
    /// The median of the fitted CPU weights per cycle, for families without a measurement.
    let cpuWeightsPerCycleMedian: Double?

    public init(quants: QuantTable, efficiency: EfficiencyTable) {
        self.quants = quants
        self.efficiency = efficiency
        let fitted = efficiency.cpuWeightsPerCycle.values.sorted()
        cpuWeightsPerCycleMedian = fitted.isEmpty ? nil : fitted[fitted.count / 2]
    }

    /// All the memory any placement could use on `machine` (RAM plus every discrete GPU's
    /// memory), in bytes: weights larger than this cannot fit in any quantization step above
    /// them. Nil when the machine's RAM is unknown.
    public func memoryCeiling(_ machine: MachineProfile) -> Int64? {
        let devices = Devices(machine)
        return devices.hostTotal.map { $0 + devices.gpus.reduce(0) { $0 + $1.memory } }
    }

    /// - Parameter inventory: the model's tensors when the caller already has them (the
    ///   recommendation table fits every quantization of a model from one inventory).
    public func fit(_ request: Request, machine: MachineProfile, inventory: TensorInventory? = nil) throws -> FitReport
    {
        let m = request.model
        guard request.context >= 1, request.context <= m.maxPositionEmbeddings else {
            throw FitError.impossibleContext(requested: request.context, max: m.maxPositionEmbeddings)
        }
        let inventory = inventory ?? TensorInventory(m)
        guard
            let weights = request.weights
                ?? WeightsEstimate(model: m, quant: request.quant, table: quants, inventory: inventory)
        else {
            throw FitError.unknownQuant(request.quant)
        }
        let kv = try KVCachePlan(
            model: m,
            options: .init(
                context: request.context,
                parallel: request.parallel,
                ubatch: request.ubatch,
                typeK: request.kvType
            ),
            table: quants
        )
        let devices = Devices(machine)
        let activeWeights = inventory.activeParameters(m)
        // The model's shape once; each context only changes the cells (and a short micro-batch).
        let computeShape = ComputeBufferModel(
            model: m,
            ubatch: request.ubatch,
            cells: 0,
            flashAttention: request.flashAttention
        )
        let parts = Parts(
            request,
            weights: weights,
            kv: kv,
            context: request.context,
            cpuRepackTypes: devices.cpuRepackTypes,
            activeWeights: activeWeights,
            computeShape: computeShape
        )
        var candidates = placements(parts, devices: devices)
        // Fitting first, then faster; with speeds unknown, the placement that keeps more on GPUs.
        candidates.sort {
            ($0.fits ? 0 : 1, -($0.speed ?? 0), -$0.gpuLayers) < ($1.fits ? 0 : 1, -($1.speed ?? 0), -$1.gpuLayers)
        }
        var best = candidates.first { $0.fits } ?? candidates.first ?? Candidate.none(parts)
        // Experts in RAM keep attention, KV and prompt processing on the GPU (llama.cpp's own
        // --fit moves experts out first): prefer it to partial offload when decode is within 10%.
        if best.mode == "partial_offload",
            let moe = candidates.first(where: { $0.mode == "moe_experts_on_cpu" && $0.fits }),
            let a = moe.speed, let b = best.speed, a >= 0.9 * b
        {
            best = moe
        }
        // On unified memory the preset's or probe's bandwidth is the GPU's: the CPU cores alone
        // reach only part of it (M2 Ultra: 800 GB/s for the GPU), and llama.cpp offloads all
        // layers by default there, so a fitting unified placement wins over CPU-only.
        if best.mode == "cpu", let unified = candidates.first(where: { $0.mode == "unified" && $0.fits }) {
            best = unified
        }
        var reasons = [best.why] + best.numaReasons
        if request.weights != nil { reasons.append("weights measured exactly from the file's tensor table") }
        if best.shares.contains(where: { $0.device == "cpu" }), let unsteady = devices.cpuBandwidthUnsteady {
            reasons.append(unsteady)
        }
        if best.fits, best.fitsNow == false {
            reasons.append("fits this machine but not the memory free now: other programs or models hold it")
        }
        for other in candidates where other.mode != best.mode { reasons.append(other.why) }
        let fullDepth = best.speedAt(depth: request.context)
        let verdict: String
        if !best.fits {
            verdict = "does_not_fit"
        } else if let speed = best.speed {
            verdict = speed >= Self.runsWell ? "runs_well" : speed >= Self.runs ? "runs" : "runs_slowly"
        } else {
            verdict = "runs"
            reasons.append("speed unknown: no measured bandwidth and no SMBIOS peak; run canrun bench")
        }
        let maxContext =
            best.fits
            ? maxContext(
                request,
                weights: weights,
                devices: devices,
                activeWeights: activeWeights,
                computeShape: computeShape
            ) : 0
        let offload = best.fits ? promptOffload(best, ubatch: request.ubatch) : nil
        let prefill =
            best.fits
            ? prefillSpeed(best, parts: parts, devices: devices, multipliedWeights: activeWeights, offload: offload)
            : nil
        var basis = best.basis
        if let offload, prefill != nil { basis.notes.append(offload.note) }
        if prefill == nil, best.fits {
            reasons.append(
                "prefill speed unknown: no peak FLOP/s for "
                    + (devices.cpuFlops == nil
                        ? "the CPU (cores, clock or vector unit unknown)" : "the GPU (not in the table)")
            )
        }
        return FitReport(
            model: m.id,
            quant: weights.quant,
            contextTokens: request.context,
            kvCacheType: request.kvType,
            runtime: "llama.cpp",
            memory: .init(
                weightsBytes: weights.bytes,
                kvCacheBytes: kv.totalBytes,
                computeBufferBytes: parts.compute,
                cpuRepackBytes: best.repack,
                backendContextBytes: best.context,
                fitMarginBytes: best.margin,
                runtimeOverheadBytes: best.context + best.margin,
                totalBytes: weights.bytes + kv.totalBytes + parts.compute + best.repack + best.context + best.margin
            ),
            placement: .init(mode: best.mode, gpuLayers: best.gpuLayers, devices: best.shares),
            fits: best.fits,
            fitsNow: best.fitsNow,
            decodeTokensPerS: best.speed.map(round2),
            decodeTokensPerSAtFullContext: fullDepth.map(round2),
            prefillTokensPerS: prefill.map(round2),
            maxContextTokens: maxContext,
            verdict: verdict,
            reasons: reasons,
            basis: basis,
            launch: ["llama.cpp": best.launch(request)].merging(best.numactl.map { ["numactl": $0] } ?? [:]) { a, _ in a
            }
        )
    }

    private func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// The largest context (a multiple of 256, at most the model's) for which some placement fits.
    func maxContext(
        _ request: Request,
        weights: WeightsEstimate,
        devices: Devices,
        activeWeights: Int64,
        computeShape: ComputeBufferModel
    ) -> Int {
        let m = request.model
        func fits(_ context: Int) -> Bool {
            guard
                let kv = try? KVCachePlan(
                    model: m,
                    options: .init(context: context, parallel: request.parallel, typeK: request.kvType),
                    table: quants
                )
            else { return false }
            let parts = Parts(
                request,
                weights: weights,
                kv: kv,
                context: context,
                cpuRepackTypes: devices.cpuRepackTypes,
                activeWeights: activeWeights,
                computeShape: computeShape
            )
            return placements(parts, devices: devices, explain: false).contains { $0.fits }
        }
        var low = 0
        var high = m.maxPositionEmbeddings / 256
        guard high > 0 else { return fits(m.maxPositionEmbeddings) ? m.maxPositionEmbeddings : 0 }
        if fits(m.maxPositionEmbeddings) { return m.maxPositionEmbeddings }
        while low < high {
            let mid = (low + high + 1) / 2
            if fits(mid * 256) { low = mid } else { high = mid - 1 }
        }
        return low * 256
    }

    /// What the model consists of, for placement.
    struct Parts {
        var model: ModelSpec
        var weights: WeightsEstimate
        var kv: KVCachePlan
        /// llama.cpp's compute buffer (`ComputeBufferModel`).
        var compute: Int64
        /// The repacked copy llama.cpp makes when all weights sit on the CPU (`CPURepack`).
        var repack: Int64
        /// Weight bytes a decoded token reads (experts at k ÷ n, no embedding table).
        var activeBytes: Int64
        /// Weights a decoded token multiplies (the same tensors, counted in weights).
        var activeWeights: Int64
        var expertActiveBytes: Int64
        var layers: Int

        init(
            _ request: Request,
            weights: WeightsEstimate,
            kv: KVCachePlan,
            context: Int,
            cpuRepackTypes: Set<String>,
            activeWeights: Int64,
            computeShape: ComputeBufferModel
        ) {
            let model = request.model
            self.activeWeights = activeWeights
            self.model = model
            self.weights = weights
            self.kv = kv
            var buffer = computeShape
            buffer.ubatch = min(request.ubatch, context)
            buffer.cells = kv.fullLayers > 0 ? kv.cells : kv.windowCells
            compute = buffer.bytes
            repack = CPURepack.bytes(weights, types: cpuRepackTypes)
            expertActiveBytes = weights.expertActiveBytes(model)
            activeBytes = weights.activeBytes(model)
            layers = model.numHiddenLayers
        }

        /// KV bytes a token reads at `depth` tokens of context.
        func kvRead(depth: Int) -> Int64 {
            guard kv.cells > 0 else { return 0 }
            let cellsRead = kv.fullLayers * min(depth, kv.cells) + kv.windowLayers * min(depth, kv.windowCells)
            let total = kv.fullLayers * kv.cells + kv.windowLayers * kv.windowCells
            return total == 0 ? 0 : kv.totalBytes / Int64(total) * Int64(cellsRead)
        }
    }

    /// The machine's memory pools and their bandwidth.
    struct Devices {
        struct GPU {
            var index: Int
            var memory: Int64
            var free: Int64?
            var bandwidth: Int64?
            var bandwidthSource: String?
            var backend: String
            /// Dense FP16 matrix FLOP/s from the GPU table.
            var flops: Double?
            var link: PCIeLink?
            /// The backend's context and llama.cpp's margin (`GPURuntimeMemory`).
            var overhead: Int64 { GPURuntimeMemory.perGPU(backend: backend) }
        }

        var gpus: [GPU]
        var unified: GPU?
        var hostTotal: Int64?
        var hostFree: Int64?
        var cpuBandwidth: Int64?
        var cpuBandwidthSource: String
        /// Said when the measured rate has moved between measurements (`BandwidthReport.unsteadyNote`).
        var cpuBandwidthUnsteady: String?
        var numaNodes: Int
        /// Thread and page policies on several NUMA nodes, from the measured per-node rates.
        var numa: NUMAPlan
        /// The CPU's peak FP32 FLOP/s (`ComputePeak.cpuFlopsPerS`).
        var cpuFlops: Double?
        /// The weight types llama.cpp repacks on this CPU (`CPURepack`).
        var cpuRepackTypes: Set<String>
        var cpu: CPUFacts?

        init(_ p: MachineProfile) {
            var discrete: [GPU] = []
            var unified: GPU?
            for (index, g) in (p.gpus ?? []).enumerated() {
                let backend = g.vendor == "Apple" ? "metal" : "cuda"
                let gpu = GPU(
                    index: index,
                    memory: g.memoryBytes ?? 0,
                    free: g.memoryFreeBytes,
                    bandwidth: g.bandwidthBytesPerS,
                    bandwidthSource: g.bandwidthSource,
                    backend: backend,
                    flops: g.fp16FlopsPerS.map(Double.init),
                    link: g.pcieLink
                )
                if g.unifiedMemory {
                    if unified == nil, g.bandwidthBytesPerS != nil { unified = gpu }
                } else if (g.memoryBytes ?? 0) > 0 {
                    discrete.append(gpu)
                }
            }
            gpus = discrete.sorted { $0.memory > $1.memory }
            self.unified = unified
            // A recording without /proc/meminfo still knows its NUMA nodes' memory.
            let nodeMemory = p.numaNodes?.compactMap(\.memoryBytes).reduce(0, +)
            hostTotal = p.memory.totalBytes ?? (nodeMemory.flatMap { $0 > 0 ? $0 : nil })
            hostFree = p.memory.availableBytes
            if let measured = p.bandwidth?.total.readBytesPerS, measured > 0 {
                cpuBandwidth = measured
                cpuBandwidthSource = "measured"
                cpuBandwidthUnsteady = p.bandwidth?.unsteadyNote
            } else if let peak = p.memory.theoreticalBandwidthBytesPerS {
                cpuBandwidth = peak
                cpuBandwidthSource = "smbios_peak"
            } else {
                cpuBandwidth = nil
                cpuBandwidthSource = "unknown"
            }
            numaNodes = p.numaNodes?.filter { !$0.cpus.isEmpty }.count ?? 1
            numa = NUMAPlan(nodes: p.numaNodes ?? [], bandwidth: p.bandwidth)
            cpuFlops = ComputePeak.cpuFlopsPerS(p.cpu)
            // With a CUDA or ROCm GPU among llama.cpp's devices, the GPU's host buffer type comes
            // before the repack types in the CPU's list (`make_cpu_buft_list`: "add extra buffer
            // types, only if no GPU device is present"), so nothing is repacked; with the file
            // mapped, the host buffer falls back to the mapping (`create_tensor`).
            let cudaOrROCm = (p.gpus ?? []).contains {
                ($0.vendor == "NVIDIA" || $0.vendor == "AMD") && ($0.unifiedMemory || ($0.memoryBytes ?? 0) > 0)
            }
            cpuRepackTypes = cudaOrROCm ? [] : CPURepack.types(isa: p.cpu?.isa ?? [])
            cpu = p.cpu
        }
    }

    struct Candidate {
        var mode: String
        var fits: Bool
        var fitsNow: Bool?
        var gpuLayers: Int
        var shares: [FitReport.DeviceShare]
        /// The GPU backends' contexts and llama.cpp's margins on the GPUs used (`GPURuntimeMemory`).
        var context: Int64
        var margin: Int64
        /// Weights in RAM that the GPU multiplies in prompt processing (`PromptOffload`), and
        /// the GPU that does.
        var hostWeightBytes: Int64 = 0
        var offloadGPU: Devices.GPU? = nil
        /// The repacked copy of the weights on the CPU (`CPURepack`).
        var repack: Int64 = 0
        /// Decode tokens/s at depth 0.
        var speed: Double?
        var speedAt: (Int) -> Double?
        var basis: FitReport.Basis
        var why: String
        var flags: String
        /// `numactl` options to run llama.cpp under (`NUMAPlan`), and why the other NUMA
        /// policies lose.
        var numactl: String? = nil
        var numaReasons: [String] = []

        func speedAt(depth: Int) -> Double? { speedAt(depth) }

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
                context: 0,
                margin: 0,
                speed: nil,
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

    /// The copies of weights in RAM that a split placement's prompt processing makes (CUDA and
    /// ROCm offload the CPU's matrix multiplications; Metal runs only unified placements here).
    func promptOffload(_ c: Candidate, ubatch: Int) -> PromptOffload? {
        guard let gpu = c.offloadGPU, gpu.backend != "metal" else { return nil }
        return PromptOffload(
            hostWeightBytes: c.hostWeightBytes,
            ubatch: min(ubatch, PrefillSpeedModel.referencePromptTokens),
            rate: PCIeCopyRate(gpu.link)
        )
    }

    /// Prompt tokens/s of a `PrefillSpeedModel.referencePromptTokens` prompt (llama-bench pp512)
    /// in placement `c`: each device computes the share of the FLOPs its weights carry, in turn.
    /// With experts in RAM the CPU's share is the routed experts a token uses, not their bytes.
    /// When llama.cpp offloads the CPU's multiplications (`offload`), the GPU computes them all
    /// and the weights in RAM cross the link once per micro-batch.
    func prefillSpeed(
        _ c: Candidate,
        parts: Parts,
        devices: Devices,
        multipliedWeights: Int64,
        offload: PromptOffload?
    ) -> Double? {
        let model = efficiency.prefill
        let family = quants.namedQuant(parts.weights.quant)?.base ?? parts.weights.quant
        let flops = PrefillSpeedModel.flopsPerToken(
            model: parts.model,
            multipliedWeights: multipliedWeights,
            promptTokens: PrefillSpeedModel.referencePromptTokens
        )
        if let offload, let gpu = c.offloadGPU {
            let prompt = PrefillSpeedModel.referencePromptTokens
            guard
                let compute = PrefillSpeedModel.tokensPerSecond(
                    flopsPerToken: flops,
                    shares: [(1, gpu.flops, model.efficiency(backend: gpu.backend, quantFamily: family))]
                )
            else { return nil }
            return Double(prompt) / (Double(prompt) / compute + offload.seconds(promptTokens: prompt))
        }
        let total = Double(c.shares.reduce(0) { $0 + $1.bytes })
        guard total > 0 else { return nil }
        let cpuFraction: Double? =
            c.mode == "moe_experts_on_cpu" && parts.activeBytes > 0
            ? Double(parts.expertActiveBytes) / Double(parts.activeBytes) : nil
        var shares: [(fraction: Double, peakFlopsPerS: Double?, eta: Double?)] = []
        for share in c.shares {
            if share.device == "cpu" {
                shares.append(
                    (
                        cpuFraction ?? Double(share.bytes) / total, devices.cpuFlops,
                        model.efficiency(backend: "cpu", quantFamily: family)
                    )
                )
            } else {
                let gpu = (devices.gpus + [devices.unified].compactMap { $0 }).first {
                    "gpu\($0.index)" == share.device
                }
                let fraction = cpuFraction.map { 1 - $0 } ?? Double(share.bytes) / total
                shares.append(
                    (fraction, gpu?.flops, gpu.flatMap { model.efficiency(backend: $0.backend, quantFamily: family) })
                )
            }
        }
        return PrefillSpeedModel.tokensPerSecond(flopsPerToken: flops, shares: shares)
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

    /// The family's fitted weights per cycle per core; a family without a measurement takes the
    /// median of the measured ones.
    func cpuWeightsPerCycle(_ quantBase: String) -> Double? {
        efficiency.cpuWeightsPerCycle[quantBase] ?? cpuWeightsPerCycleMedian
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

    /// - Parameter explain: build the basis notes (formatted text); the max-context search only
    ///   asks which placements fit.
    func placements(_ p: Parts, devices d: Devices, explain: Bool = true) -> [Candidate] {
        var out: [Candidate] = []
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
        /// A GPU's bandwidth (its source, else the table) and its backend's η and τ.
        func basisOf(_ gpu: Devices.GPU) -> FitReport.Basis {
            let backend = efficiency.model.backends[gpu.backend]
            return basis(gpu.bandwidthSource ?? "table", gpu.bandwidth, backend?.eta, backend?.tauSecondsPerLayer, [])
        }

        // CPU only.
        if let total = d.hostTotal {
            let need = hostNeed + p.repack
            let numa = cpuRead(need: need)
            let speed = { (depth: Int) in
                self.decodeSpeed(
                    [(p.activeBytes + p.kvRead(depth: depth), numa.bandwidth, cpuEta, cpuCompute(p.activeWeights))],
                    layers: p.layers,
                    tau: 0
                )
            }
            let fits = need <= total
            out.append(
                Candidate(
                    mode: "cpu",
                    fits: fits,
                    fitsNow: Self.fitsNow([(d.hostFree, need)]),
                    gpuLayers: 0,
                    shares: [.init(device: "cpu", bytes: need)],
                    context: 0,
                    margin: 0,
                    repack: p.repack,
                    speed: speed(0),
                    speedAt: speed,
                    basis: basis(
                        d.cpuBandwidthSource,
                        numa.bandwidth,
                        cpuEta,
                        0,
                        explain ? cpuNotes(numa.bandwidth) : []
                    ),
                    why: fits
                        ? "CPU only: \(ProfileText.bytes(need)) of \(ProfileText.bytes(total)) RAM"
                        : "CPU only: needs \(ProfileText.bytes(need)), RAM is \(ProfileText.bytes(total))",
                    flags: "-ngl 0" + numa.flag,
                    numactl: numa.numactl,
                    numaReasons: numa.reasons
                )
            )
        }
        /// Everything on one GPU (`-ngl 99`) holding `capacity` bytes, `free` of them now.
        func allOn(_ g: Devices.GPU, mode: String, capacity: Int64, free: Int64?, why: String) -> Candidate {
            let backend = efficiency.model.backends[g.backend]
            let speed = { (depth: Int) in
                self.decodeSpeed(
                    [(p.activeBytes + p.kvRead(depth: depth), g.bandwidth, backend?.eta, 0)],
                    layers: p.layers,
                    tau: backend?.tauSecondsPerLayer ?? 0
                )
            }
            let need = hostNeed + g.overhead
            return Candidate(
                mode: mode,
                fits: need <= capacity,
                fitsNow: Self.fitsNow([(free, need)]),
                gpuLayers: p.layers + 1,
                shares: [.init(device: "gpu\(g.index)", bytes: need)],
                context: GPURuntimeMemory.contextBytes(backend: g.backend),
                margin: GPURuntimeMemory.fitMarginBytes,
                speed: speed(0),
                speedAt: speed,
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
                    why:
                        "unified memory: the GPU uses \(ProfileText.bytes(need)) of \(ProfileText.bytes(total)) shared RAM"
                )
            )
        }
        guard let gpu = d.gpus.first else { return out }
        let backend = efficiency.model.backends[gpu.backend]
        let gpuBasis = basisOf(gpu)
        let tau = backend?.tauSecondsPerLayer ?? 0
        let gpuNeed = hostNeed + gpu.overhead
        // One GPU.
        out.append(
            allOn(
                gpu,
                mode: "gpu",
                capacity: gpu.memory,
                free: gpu.free,
                why: gpuNeed <= gpu.memory
                    ? "all on gpu\(gpu.index): \(ProfileText.bytes(gpuNeed)) of \(ProfileText.bytes(gpu.memory))"
                    : "all on gpu\(gpu.index): needs \(ProfileText.bytes(gpuNeed)), it has \(ProfileText.bytes(gpu.memory))"
            )
        )
        // Several GPUs, layers split by memory (llama.cpp --tensor-split).
        if d.gpus.count > 1 {
            let total = d.gpus.reduce(Int64(0)) { $0 + $1.memory }
            let overhead = d.gpus.reduce(Int64(0)) { $0 + $1.overhead }
            let need = hostNeed + overhead
            let slowest = d.gpus.compactMap(\.bandwidth).min()
            let transfer = ActivationTransfer(
                copiesPerToken: d.gpus.count - 1,
                hiddenSize: p.model.hiddenSize,
                rate: PCIeCopyRate(slowestOf: d.gpus.map(\.link))
            )
            let split = { (depth: Int) in
                self.decodeSpeed(
                    [(p.activeBytes + p.kvRead(depth: depth), slowest, backend?.eta, 0)],
                    layers: p.layers,
                    tau: tau,
                    transfer: transfer
                )
            }
            var splitBasis = gpuBasis
            if explain { splitBasis.notes.append(transfer.note) }
            let ratios = d.gpus.map { ProfileText.decimal(Double($0.memory) / Double(1 << 30), places: 0) }.joined(
                separator: ","
            )
            out.append(
                Candidate(
                    mode: "multi_gpu",
                    fits: need <= total,
                    fitsNow: Self.fitsNow(
                        d.gpus.map { ($0.free, Int64(Double(need) * Double($0.memory) / Double(total))) }
                    ),
                    gpuLayers: p.layers + 1,
                    shares: d.gpus.map {
                        .init(device: "gpu\($0.index)", bytes: Int64(Double(need) * Double($0.memory) / Double(total)))
                    },
                    context: d.gpus.reduce(0) { $0 + GPURuntimeMemory.contextBytes(backend: $1.backend) },
                    margin: GPURuntimeMemory.fitMarginBytes * Int64(d.gpus.count),
                    speed: split(0),
                    speedAt: split,
                    basis: splitBasis,
                    why: "split over \(d.gpus.count) GPUs: \(ProfileText.bytes(need)) of \(ProfileText.bytes(total))",
                    flags: "-ngl 99 --tensor-split \(ratios)"
                )
            )
        }
        guard let host = d.hostTotal else { return out }
        // MoE: attention, shared experts and KV on the GPU, routed experts in RAM.
        if p.model.isMoE, p.weights.expertBytes > 0 {
            let onGPU = hostNeed - p.weights.expertBytes + gpu.overhead
            // Shares in floating point: byte counts of large MoE models multiply past Int64.
            let expertShare = p.weights.bytes > 0 ? Double(p.weights.expertBytes) / Double(p.weights.bytes) : 0
            let repack = Int64(Double(p.repack) * expertShare)
            let onCPU = p.weights.expertBytes + repack
            let moeLayers = (0..<p.layers).filter(p.model.isMoELayer).count
            let transfer = ActivationTransfer(
                copiesPerToken: 2 * moeLayers,
                hiddenSize: p.model.hiddenSize,
                rate: PCIeCopyRate(gpu.link)
            )
            var moeBasis = gpuBasis
            if explain { moeBasis.notes.append(transfer.note) }
            let speed = { (depth: Int) in
                self.decodeSpeed(
                    [
                        (p.activeBytes - p.expertActiveBytes + p.kvRead(depth: depth), gpu.bandwidth, backend?.eta, 0),
                        (
                            p.expertActiveBytes, cpuRead(need: onCPU).bandwidth, cpuEta,
                            cpuCompute(
                                Int64(
                                    Double(p.activeWeights) * Double(p.expertActiveBytes)
                                        / Double(max(1, p.activeBytes))
                                )
                            )
                        ),
                    ],
                    layers: p.layers,
                    tau: tau,
                    transfer: transfer
                )
            }
            let fits = onGPU <= gpu.memory && onCPU <= host
            out.append(
                Candidate(
                    mode: "moe_experts_on_cpu",
                    fits: fits,
                    fitsNow: Self.fitsNow([(gpu.free, onGPU), (d.hostFree, onCPU)]),
                    gpuLayers: p.layers + 1,
                    shares: [.init(device: "gpu\(gpu.index)", bytes: onGPU), .init(device: "cpu", bytes: onCPU)],
                    context: GPURuntimeMemory.contextBytes(backend: gpu.backend),
                    margin: GPURuntimeMemory.fitMarginBytes,
                    hostWeightBytes: p.weights.expertBytes,
                    offloadGPU: gpu,
                    repack: repack,
                    speed: speed(0),
                    speedAt: speed,
                    basis: moeBasis,
                    why:
                        "MoE experts in RAM (\(ProfileText.bytes(onCPU))), the rest on gpu\(gpu.index) (\(ProfileText.bytes(onGPU)))",
                    flags: "-ngl 99 -ot exps=CPU --no-mmap"
                )
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
            let transfer = ActivationTransfer(
                copiesPerToken: 1,
                hiddenSize: p.model.hiddenSize,
                rate: PCIeCopyRate(gpu.link)
            )
            var partialBasis = gpuBasis
            if explain { partialBasis.notes.append(transfer.note) }
            let speed = { (depth: Int) in
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
            out.append(
                Candidate(
                    mode: "partial_offload",
                    fits: onCPU <= host,
                    fitsNow: Self.fitsNow([(gpu.free, onGPU), (d.hostFree, onCPU)]),
                    gpuLayers: layersOnGPU,
                    shares: [.init(device: "gpu\(gpu.index)", bytes: onGPU), .init(device: "cpu", bytes: onCPU)],
                    context: GPURuntimeMemory.contextBytes(backend: gpu.backend),
                    margin: GPURuntimeMemory.fitMarginBytes,
                    hostWeightBytes: perLayer * Int64(p.layers - layersOnGPU),
                    offloadGPU: gpu,
                    repack: repack,
                    speed: speed(0),
                    speedAt: speed,
                    basis: partialBasis,
                    why: "\(layersOnGPU) of \(p.layers) layers on gpu\(gpu.index), the rest in RAM",
                    flags: "-ngl \(layersOnGPU) --no-mmap"
                )
            )
        }
        return out
    }
}
