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
        /// The llama.cpp GPU backend to answer for; nil: the GPUs' usual one (`GPUBackend.usual`).
        public var gpuBackend: GPUBackend?
        /// The llama.cpp build (its release number, `b3200` → 3200) to answer for; nil: a current
        /// one. Kernel choices that changed are taken as that build made them (`PrefillKernel`).
        public var llamaBuild: Int?
        /// llama.cpp's `-t`: CPU threads; nil: its default, one per physical core. The CPU's
        /// compute bounds (decode and prefill) count min(threads, cores) cores.
        public var threads: Int?
        /// The GGUF file the model came from, for the launch line (`-m FILE`); nil: the catalog's.
        public var modelFile: String? = nil
        /// The KV cache type was not asked: canrun may choose it (`KVCacheSearch`). An f16 cache
        /// unless only a quantized one fits; a quantized one that runs faster is named beside it.
        public var choosesKVType = false
        /// Search the largest context that fits (`maxContextTokens`); off for the KV cache
        /// search's probes, whose maximum no answer shows.
        var searchesMaxContext = true

        /// The context a fit answers for when none is asked: 8192 tokens, or the model's trained
        /// maximum when smaller (the CLI and the daemon alike).
        public static func defaultContext(_ model: ModelSpec) -> Int { min(8192, model.maxPositionEmbeddings) }

        public init(
            model: ModelSpec,
            quant: String,
            context: Int,
            kvType: String = "f16",
            parallel: Int = 1,
            ubatch: Int = 512,
            flashAttention: Bool = true,
            gpuBackend: GPUBackend? = nil,
            llamaBuild: Int? = nil,
            threads: Int? = nil
        ) {
            self.model = model
            self.quant = quant
            self.context = context
            self.kvType = kvType
            self.parallel = parallel
            self.ubatch = ubatch
            self.flashAttention = flashAttention
            self.gpuBackend = gpuBackend
            self.llamaBuild = llamaBuild
            self.threads = threads
        }
    }

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case unknownQuant(String)
        /// `max` is the longest context the model allows: its trained one, or its documented
        /// YaRN's reach when that is longer than `trained`.
        case impossibleContext(requested: Int, max: Int, trained: Int, dynamicNTK: Bool = false)
        /// The model's facts are out of `ModelBounds` (a spec that bypassed its source's check).
        case invalidModel(ModelValidationError)
        /// `parallel` or `ubatch` out of `ModelBounds`.
        case impossibleOption(String)
        /// A checkpoint format of other runtimes, not `model`'s own (`native`, when known).
        case otherRuntimeFormat(String, runtimes: String?, model: String, native: String?)

        /// What `--quant` takes, for the errors that refuse one.
        static let accepted =
            "llama.cpp's GGUF types: \(Recommendations.ladder.joined(separator: ", ")), F16, BF16 and the rest of "
            + "llama-quantize's (canrun models show MODEL lists each with its size)"

        public var description: String {
            switch self {
            case .invalidModel(let error): "not a model canrun can size: \(error)"
            case .impossibleOption(let what): what
            case .unknownQuant(let q):
                "unknown quantization '\(q)': canrun answers \(Self.accepted)"
            case .otherRuntimeFormat(let format, let runtimes, let model, let native):
                "\(format) is a checkpoint format of other runtimes\(runtimes.map { " (\($0))" } ?? ""), not one llama.cpp "
                    + "loads\(native.map { ", and \(model) does not ship in it (it ships \($0))" } ?? ""); canrun answers "
                    + Self.accepted
            case .impossibleContext(let requested, let max, let trained, _) where max > trained:
                "context \(requested) is impossible: the model was trained for \(trained) tokens and its documented "
                    + "YaRN reaches \(max) (and at least 1)"
            case .impossibleContext(let requested, let max, _, let dynamicNTK):
                "context \(requested) is impossible: the model was trained for at most \(max) tokens (and at least 1), "
                    + (dynamicNTK
                        ? "and its config.json's dynamic NTK rope scaling is transformers' alone (llama.cpp has none); "
                        : "and documents no YaRN beyond it; ")
                    + "llama.cpp can be forced (--rope-scaling yarn --rope-scale F "
                    + "--yarn-orig-ctx N) at a quality loss canrun cannot state"
            }
        }
    }

    public let quants: QuantTable
    /// The fitted efficiencies the engine answers with.
    public let efficiency: EfficiencyTable
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
    public func memoryCeiling(_ machine: MachineProfile) -> Int64? { memoryCeiling(Devices(machine)) }

    func memoryCeiling(_ devices: Devices) -> Int64? {
        devices.hostTotal.map { $0 + devices.gpus.reduce(0) { $0 + $1.memory } }
    }

    /// - Parameter inventory: the model's tensors when the caller already has them (the
    ///   recommendation table fits every quantization of a model from one inventory).
    public func fit(_ request: Request, machine: MachineProfile, inventory: TensorInventory? = nil) throws -> FitReport
    {
        try Self.check(request)
        let devices = Devices(machine, gpuBackend: request.gpuBackend, threads: request.threads)
        return try fit(request, devices: devices, inventory: inventory)
    }

    /// The engine's entry check, before any arithmetic: the model within `ModelBounds` (every
    /// source validates already; this keeps a hand-built spec from reaching the sums) and the
    /// runtime options within theirs. The context is checked against the model by `fit`.
    public static func check(_ request: Request) throws(FitError) {
        do {
            try request.model.validate()
        } catch {
            throw .invalidModel(error)
        }
        guard ModelBounds.parallel.contains(request.parallel) else {
            throw .impossibleOption("parallel \(request.parallel) must be from 1 to \(ModelBounds.parallel.upperBound)")
        }
        if let threads = request.threads, !ModelBounds.threads.contains(threads) {
            throw .impossibleOption("threads \(threads) must be from 1 to \(ModelBounds.threads.upperBound)")
        }
        guard ModelBounds.ubatch.contains(request.ubatch) else {
            throw .impossibleOption("ubatch \(request.ubatch) must be from 1 to \(ModelBounds.ubatch.upperBound)")
        }
        // llama.cpp refuses a quantized V cache without flash attention (src/llama-context.cpp:
        // "quantized V cache requires flash_attn to be enabled"; older builds "V cache
        // quantization requires flash_attn"): no answer for a launch that cannot start. `kvType`
        // is -ctk and -ctv alike.
        let kv = request.kvType.lowercased()
        if !request.flashAttention, !["f16", "bf16", "f32"].contains(kv) {
            throw .impossibleOption(
                "a \(kv) KV cache needs flash attention: llama.cpp refuses a quantized V cache without it (use --flash-attn on, or --kv f16)"
            )
        }
    }

    /// The GGUF type that answers a request for a checkpoint format of other runtimes: the
    /// format's `ggufAs` when the model ships in it (DeepSeek V3's FP8 → Q8_0); nil for a GGUF
    /// type or a file's own weights.
    /// - Throws: `FitError.otherRuntimeFormat` for a format the model does not ship in.
    func nativeStandIn(_ request: Request) throws(FitError) -> (format: String, quant: String)? {
        // `GPTQ` names the family of `GPTQ-4bit-g128`: refused as that, not as unknown.
        let family = quants.formats.first { $0.name.uppercased().hasPrefix(request.quant.uppercased() + "-") }
        guard request.weights == nil, quants.namedQuant(request.quant) == nil,
            let format = quants.format(named: request.quant) ?? family
        else { return nil }
        let m = request.model
        guard let standIn = format.ggufAs, m.nativeFormat?.uppercased() == format.name.uppercased() else {
            throw .otherRuntimeFormat(format.name, runtimes: format.runtimes, model: m.id, native: m.nativeFormat)
        }
        return (format.name, standIn)
    }

    /// `fit` on a machine's pools already gathered (the recommendation table asks every rung of
    /// every model about one machine), with the KV cache type searched when it was not asked.
    func fit(_ request: Request, devices: Devices, inventory: TensorInventory?) throws -> FitReport {
        let asked = try fitAsAsked(request, devices: devices, inventory: inventory)
        guard request.choosesKVType else { return asked }
        return try searchKVCache(asked, request, devices: devices, inventory: inventory)
    }

    /// The fit of exactly `request`: its quantization (a model's own non-GGUF format as the GGUF
    /// type it converts to, `nativeStandIn`), context and KV cache type.
    func fitAsAsked(_ asked: Request, devices: Devices, inventory: TensorInventory?) throws -> FitReport {
        var request = asked
        let native = try nativeStandIn(asked)
        if let native { request.quant = native.quant }
        let (fixed, parts, ranked, best) = try placed(request, devices: devices, inventory: inventory)
        let m = request.model
        let (weights, kv) = (fixed.weights, parts.kv)
        var reasons = [best.why] + best.numaReasons
        if let native { reasons.insert(.nativeFormat(native.format, model: m.id, gguf: native.quant), at: 0) }
        if let flags = m.yarnFlags(context: request.context), let factor = m.yarnFactor,
            let original = m.yarnOriginalContext
        {
            reasons.append(
                .yarn(
                    trained: m.maxPositionEmbeddings,
                    factor: factor,
                    original: original,
                    flags: flags,
                    source: m.yarnSource
                )
            )
        }
        if request.weights != nil { reasons.append(.weightsMeasured) }
        if best.shares.contains(where: { $0.device == .cpu }) {
            if let provisional = devices.cpuBandwidthProvisional { reasons.append(.bandwidthProvisional(provisional)) }
            if let unsteady = devices.cpuBandwidthUnsteady { reasons.append(.bandwidthUnsteady(unsteady)) }
        }
        if best.fits, best.fitsNow == false { reasons.append(.notFreeNow) }
        for other in ranked where other.mode != best.mode { reasons.append(other.why) }
        let fullDepth = best.speed(kvBytes: parts.kvRead(depth: request.context))
        let verdict = best.fits ? Verdict(fittingAt: best.speed) : .doesNotFit
        if best.fits, best.speed == nil { reasons.append(.decodeSpeedUnknown) }
        let maxContext = best.fits && request.searchesMaxContext ? maxContext(fixed, devices: devices) : 0
        let prefill =
            best.fits
            ? promptSpeed(best, parts: parts, promptTokens: PrefillSpeedModel.referencePromptTokens, depth: 0)
            : nil
        var basis = best.basis
        basis.notes = best.basisNotes.map(\.text)
        if let offload = best.prefill?.offload, prefill != nil {
            basis.notes.append(BasisNote.promptOffload(offload).text)
        }
        if prefill != nil { basis.prefill = best.prefill?.shares.map(FitReport.PrefillShare.init) }
        if prefill == nil, best.fits { reasons.append(.prefillSpeedUnknown(cpu: devices.cpuFlops == nil)) }
        let flags = best.launch(request)
        return FitReport(
            model: m.id,
            quant: weights.quant,
            quality: quants.quality(of: weights.quant, model: m),
            contextTokens: request.context,
            kvCacheType: request.kvType,
            runtime: "llama.cpp",
            memory: .init(
                weightsBytes: weights.bytes,
                kvCacheBytes: kv.totalBytes,
                computeBufferBytes: parts.compute,
                cpuRepackBytes: best.repack,
                backendContextBytes: best.context,
                fitMarginBytes: best.margin
            ),
            placement: .init(mode: best.mode, gpuLayers: best.gpuLayers, devices: best.shares),
            fits: best.fits,
            fitsNow: best.fitsNow,
            decodeTokensPerS: best.speed.map(round2),
            decodeTokensPerSAtFullContext: fullDepth.map(round2),
            parallel: request.parallel > 1 && best.fits
                ? {
                    let each = best.decode?.tokensPerSecond(streams: request.parallel, kvBytes: parts.kvRead(depth: 0))
                    return FitReport.Parallel(
                        streams: request.parallel,
                        contextPerSlotTokens: request.context / request.parallel,
                        perStreamDecodeTokensPerS: each.map(round2),
                        aggregateDecodeTokensPerS: each.map { round2($0 * Double(request.parallel)) }
                    )
                }() : nil,
            prefillTokensPerS: prefill.map(round2),
            speedAtDepth: best.fits ? speedAtDepth(best, parts: parts, context: request.context) : nil,
            maxContextTokens: maxContext,
            verdict: verdict,
            reasons: reasons.map(\.text),
            basis: basis,
            launch: ["llama.cpp": flags].merging(best.numactl.map { ["numactl": $0] } ?? [:]) { a, _ in a
            },
            launchCommands: best.mode == .none
                ? nil
                : LaunchCommands(
                    model: LaunchCommands.modelArgument(m, quant: weights.quant, file: request.modelFile),
                    flags: flags,
                    numactl: best.numactl,
                    context: request.context,
                    gpuLayers: best.gpuLayers,
                    kvType: request.kvType,
                    flashAttention: request.flashAttention,
                    parallel: request.parallel
                )
        )
    }

    private func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    /// Decode and pp512 prefill in `best` at each reported depth up to `context`.
    private func speedAtDepth(_ best: PlacementCandidate, parts: Parts, context: Int) -> [FitReport.DepthSpeed] {
        let prompt = PrefillSpeedModel.referencePromptTokens
        let depths = FitReport.DepthSpeed.depths.filter { $0 < context } + [context]
        return depths.map { depth in
            .init(
                depthTokens: depth,
                decodeTokensPerS: best.speed(kvBytes: parts.kvRead(depth: depth)).map(round2),
                prefillTokensPerS: promptSpeed(best, parts: parts, promptTokens: prompt, depth: depth).map(round2)
            )
        }
    }

    /// The model's parts at the request's context, every placement ranked, and the chosen one.
    private func placed(
        _ request: Request,
        devices: Devices,
        inventory: TensorInventory?
    ) throws -> (ModelParts, Parts, [PlacementCandidate], PlacementCandidate) {
        let m = request.model
        guard request.context >= 1, request.context <= m.usableContext else {
            throw FitError.impossibleContext(
                requested: request.context,
                max: m.usableContext,
                trained: m.maxPositionEmbeddings,
                dynamicNTK: m.ropeScaling == "dynamic"
            )
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
                typeK: request.kvType,
                // A YaRN context beyond the trained one is allocated whole.
                clampToTrainedContext: request.context <= m.maxPositionEmbeddings
            ),
            table: quants
        )
        let fixed = ModelParts(request, weights: weights, inventory: inventory, cpuRepackTypes: devices.cpuRepackTypes)
        let parts = Parts(fixed, kv: kv, context: request.context)
        let context = placementContext(parts, devices: devices)
        let ranked = PlacementChooser.ranked(context.candidates)
        var best = PlacementChooser.best(of: ranked) ?? .none(bytesPerToken: parts.activeBytes)
        best.prefill = context.prefillCost(of: best)
        return (fixed, parts, ranked, best)
    }

    /// Prompt tokens per second in `best` for `promptTokens` after `depth`
    /// (`prefillTerms`); nil when `best` has no prompt cost.
    private func promptSpeed(_ best: PlacementCandidate, parts: Parts, promptTokens: Int, depth: Int) -> Double? {
        guard let cost = best.prefill else { return nil }
        return prefillTerms(cost, parts: parts, promptTokens: promptTokens, depth: depth)
            .tokensPerSecond(model: efficiency.prefill, promptTokens: promptTokens)
    }

    /// What a token of a `promptTokens` prompt after `depth` tokens asks of the devices of
    /// `cost`: its FLOPs (routed experts apart, for the expert term), attention's FLOPs and the
    /// bytes its scores move without flash attention, and the weights (and bytes) BLAS's
    /// conversion unpacks.
    private func prefillTerms(_ cost: PrefillCost, parts: Parts, promptTokens: Int, depth: Int) -> PrefillTerms {
        let m = parts.model
        let flops = PrefillSpeedModel.flopsPerToken(
            model: m,
            multipliedWeights: parts.activeWeights,
            promptTokens: promptTokens,
            depth: depth
        )
        let batch = PrefillSpeedModel.batch(model: m, promptTokens: promptTokens, ubatch: parts.ubatch)
        let experts = Double(parts.expertActiveWeights)
        let converted = PrefillSpeedModel.convertedWeightsPerToken(
            denseWeights: Double(parts.activeWeights) - experts,
            expertWeights: experts,
            batch: batch
        )
        let bytesPerWeight = parts.activeWeights > 0 ? Double(parts.activeBytes) / Double(parts.activeWeights) : 0
        let plain = PrefillWork(
            cpuFlops: flops,
            gpuFlops: flops,
            attentionFlops: PrefillSpeedModel.attentionFlopsPerToken(
                model: m,
                promptTokens: promptTokens,
                depth: depth
            ),
            attentionBytes: PrefillSpeedModel.attentionBytesPerToken(
                model: m,
                promptTokens: promptTokens,
                depth: depth,
                ubatch: parts.ubatch,
                flash: parts.flashAttention
            ),
            // Read at the weights' own width, written as F16 (the GEMM's reading is in its η).
            convertedWeights: converted,
            convertedBytes: converted * (bytesPerWeight + 2)
        )
        return PrefillTerms(cost: cost, plain: plain, expertFlopsPerToken: 2 * experts, batch: batch)
    }

    /// What the speed calibration fits prefill on, for a `promptTokens` prompt after `depth`
    /// tokens in the placement `fit` chooses (`prefillTerms`). Nil when nothing fits.
    package func prefillCost(
        _ request: Request,
        machine: MachineProfile,
        promptTokens: Int,
        depth: Int
    ) throws -> PrefillTerms? {
        try Self.check(request)
        let devices = Devices(machine, gpuBackend: request.gpuBackend, threads: request.threads)
        let (_, parts, _, best) = try placed(request, devices: devices, inventory: nil)
        guard best.fits, let cost = best.prefill else { return nil }
        return prefillTerms(cost, parts: parts, promptTokens: promptTokens, depth: depth)
    }

    /// Prompt tokens per second canrun answers for `request` on `machine` with a `promptTokens`
    /// prompt after `depth` tokens, as `fit`'s speed-at-depth table computes it; nil when nothing
    /// fits or the prompt speed is unknown.
    package func promptTokensPerSecond(
        _ request: Request,
        machine: MachineProfile,
        promptTokens: Int,
        depth: Int
    ) throws -> Double? {
        try prefillCost(request, machine: machine, promptTokens: promptTokens, depth: depth)?
            .tokensPerSecond(model: efficiency.prefill, promptTokens: promptTokens)
    }

    /// The cost of a decoded token at the request's context in the placement `fit` chooses, and
    /// the KV bytes it reads there: what the speed calibration fits its parameters on. Nil when
    /// nothing fits.
    package func decodeCost(_ request: Request, machine: MachineProfile) throws -> (cost: DecodeCost, kvBytes: Int64)? {
        try Self.check(request)
        let devices = Devices(machine, gpuBackend: request.gpuBackend, threads: request.threads)
        let (_, parts, _, best) = try placed(request, devices: devices, inventory: nil)
        guard best.fits, let cost = best.decode else { return nil }
        return (cost, parts.kvRead(depth: request.context))
    }

    /// The largest context (a multiple of 256, at most the model's) for which some placement fits.
    func maxContext(_ fixed: ModelParts, devices: Devices) -> Int {
        let request = fixed.request
        let m = request.model
        func fits(_ context: Int) -> Bool {
            guard
                let kv = try? KVCachePlan(
                    model: m,
                    options: .init(
                        context: context,
                        parallel: request.parallel,
                        typeK: request.kvType,
                        clampToTrainedContext: context <= m.maxPositionEmbeddings
                    ),
                    table: quants
                )
            else { return false }
            return placementContext(Parts(fixed, kv: kv, context: context), devices: devices).candidates.contains {
                $0.fits
            }
        }
        // An answer already beyond the trained context (YaRN) searches up to YaRN's reach.
        let ceiling = request.context > m.maxPositionEmbeddings ? m.usableContext : m.maxPositionEmbeddings
        var low = 0
        var high = ceiling / 256
        guard high > 0 else { return fits(ceiling) ? ceiling : 0 }
        if fits(ceiling) { return ceiling }
        while low < high {
            let mid = (low + high + 1) / 2
            if fits(mid * 256) { low = mid } else { high = mid - 1 }
        }
        return low * 256
    }

    /// What the model consists of apart from the context: worked out once per fit and shared by
    /// every probe of the max-context search.
    struct ModelParts {
        var request: Request
        var weights: WeightsEstimate
        /// The compute buffer's shape; each context sets its cells (and a short micro-batch).
        var computeShape: ComputeBufferModel
        /// The repacked copy llama.cpp makes of the CPU's weights (`CPURepack`).
        var repack: Int64
        /// Weight bytes a decoded token reads (experts at k ÷ n, no embedding table).
        var activeBytes: Int64
        /// Weights a decoded token multiplies (the same tensors, counted in weights).
        var activeWeights: Int64
        var expertActiveBytes: Int64
        /// Routed-expert weights a token multiplies (`k` of `n`; 0 for a dense model).
        var expertActiveWeights: Int64
        /// Layers with routed experts (each sends activations to the CPU and back when the
        /// experts sit in RAM).
        var moeLayers: Int

        init(_ request: Request, weights: WeightsEstimate, inventory: TensorInventory, cpuRepackTypes: Set<String>) {
            let model = request.model
            self.request = request
            self.weights = weights
            computeShape = ComputeBufferModel(
                model: model,
                ubatch: request.ubatch,
                cells: 0,
                flashAttention: request.flashAttention
            )
            repack = CPURepack.bytes(weights, types: cpuRepackTypes)
            activeBytes = weights.activeBytes(model)
            activeWeights = inventory.activeParameters(model)
            expertActiveBytes = weights.expertActiveBytes(model)
            expertActiveWeights = inventory.activeExpertParameters(model)
            moeLayers = (0..<model.numHiddenLayers).filter(model.isMoELayer).count
        }
    }

    /// What the model consists of at one context, for placement.
    struct Parts {
        var model: ModelSpec
        var weights: WeightsEstimate
        var kv: KVCachePlan
        /// llama.cpp's compute buffer (`ComputeBufferModel`).
        var compute: Int64
        var repack: Int64
        var activeBytes: Int64
        var activeWeights: Int64
        var expertActiveBytes: Int64
        var expertActiveWeights: Int64
        var moeLayers: Int
        var layers: Int
        /// `-ub`, tokens per micro-batch as asked (prompt processing offloads by it).
        var ubatch: Int
        /// The llama.cpp build asked about (`Request.llamaBuild`).
        var llamaBuild: Int?
        /// Attention in one flash-attention kernel, or as KQ, softmax and KQV apart.
        var flashAttention: Bool

        init(_ fixed: ModelParts, kv: KVCachePlan, context: Int) {
            model = fixed.request.model
            weights = fixed.weights
            self.kv = kv
            var buffer = fixed.computeShape
            buffer.ubatch = min(fixed.request.ubatch, context)
            buffer.cells = kv.fullLayers > 0 ? kv.cells : kv.windowCells
            compute = buffer.bytes
            repack = fixed.repack
            activeBytes = fixed.activeBytes
            activeWeights = fixed.activeWeights
            expertActiveBytes = fixed.expertActiveBytes
            expertActiveWeights = fixed.expertActiveWeights
            moeLayers = fixed.moeLayers
            layers = model.numHiddenLayers
            ubatch = fixed.request.ubatch
            llamaBuild = fixed.request.llamaBuild
            flashAttention = fixed.request.flashAttention
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
            var architecture: String?
            /// Peak rates per execution unit (`GPUPeaks`).
            var peaks: GPUPeaks?
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
        /// `BandwidthReport.provisionalNote` of the CPU's measurement.
        var cpuBandwidthProvisional: String?
        var numaNodes: Int
        /// Thread and page policies on several NUMA nodes, from the measured per-node rates.
        var numa: NUMAPlan
        /// The CPU's peak FP32 FLOP/s (`ComputePeak.cpuFlopsPerS`) with the threads asked.
        var cpuFlops: Double?
        /// llama.cpp's `-t`: as asked, else its default (`CPUFacts.llamaDefaultThreads`); nil
        /// when the core count is unknown.
        var cpuThreads: Int?
        /// The weight types llama.cpp repacks on this CPU (`CPURepack`).
        var cpuRepackTypes: Set<String>
        var cpu: CPUFacts?

        /// - Parameters:
        ///   - gpuBackend: the backend every GPU runs (nil: `GPUBackend.usual`).
        ///   - threads: llama.cpp's CPU threads (nil: one per physical core).
        init(_ p: MachineProfile, gpuBackend: GPUBackend? = nil, threads: Int? = nil) {
            var discrete: [GPU] = []
            var unified: GPU?
            for (index, g) in (p.gpus ?? []).enumerated() {
                let backend = (gpuBackend ?? GPUBackend.usual(vendor: g.vendor)).rawValue
                let gpu = GPU(
                    index: index,
                    memory: g.memoryBytes ?? 0,
                    free: g.memoryFreeBytes,
                    bandwidth: g.bandwidthBytesPerS,
                    bandwidthSource: g.bandwidthSource,
                    backend: backend,
                    flops: g.fp16FlopsPerS.map(Double.init),
                    architecture: g.architecture,
                    peaks: g.peaks,
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
                cpuBandwidthProvisional = p.bandwidth?.provisionalNote
            } else if let peak = p.memory.theoreticalBandwidthBytesPerS {
                cpuBandwidth = peak
                cpuBandwidthSource = "smbios_peak"
            } else {
                cpuBandwidth = nil
                cpuBandwidthSource = "unknown"
            }
            numaNodes = p.numaNodes?.filter { !$0.cpus.isEmpty }.count ?? 1
            numa = NUMAPlan(nodes: p.numaNodes ?? [], bandwidth: p.bandwidth)
            // Not asked: llama.cpp's own default (its performance cores on a hybrid x86 CPU).
            let threads = CPUFacts.llamaThreads(asked: threads, cpu: p.cpu)
            cpuFlops = ComputePeak.cpuFlopsPerS(p.cpu, threads: threads)
            cpuThreads = threads
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

    /// What the placement kinds ask of `p` on `devices` (`PlacementContext.candidates` lists every
    /// placement, in the kinds' order).
    func placementContext(_ p: Parts, devices d: Devices) -> PlacementContext {
        let family = speedFamily(p)
        let perCycle = cpuWeightsPerCycle(family)
        let cpu = efficiency.model.backends["cpu"]
        // η is against a measured read; a theoretical peak first loses what no read sustains.
        let peakShare = d.cpuBandwidthSource == "measured" ? nil : cpu?.peakReadShare
        // One thread waits on no other; an unknown core count is taken as several.
        let threads = d.cpuThreads ?? 2
        return PlacementContext(
            parts: p,
            devices: d,
            efficiency: efficiency,
            quantFamily: family,
            cpuEta: cpu.map { $0.eta * (peakShare ?? 1) },
            cpuPeakReadShare: peakShare,
            cpuSyncSecondsPerLayer: threads > 1 ? cpu?.tauSecondsPerLayer ?? 0 : 0,
            cpuWeightsPerCycle: perCycle,
            cpuWeightsPerS: perCycle.flatMap {
                ComputePeak.cpuDecodeWeightsPerS(d.cpu, weightsPerCycle: $0, threads: d.cpuThreads)
            },
            hostNeed: p.weights.bytes + p.kv.totalBytes + p.compute
        )
    }

    /// The weight type whose kernels do most of a token's multiplications: the routed experts'
    /// type where they carry more than half of them (gpt-oss's MXFP4 experts in every file,
    /// MXFP4_MOE's beside Q8_0), else the quantization's base. llama.cpp picks each matrix
    /// multiplication's path by its weights' type, and the speed model answers with one path
    /// per device.
    func speedFamily(_ p: Parts) -> String {
        if let experts = p.weights.expertTypeName, 2 * p.expertActiveWeights > p.activeWeights { return experts }
        return quants.namedQuant(p.weights.quant)?.base ?? p.weights.quant
    }

    /// The family's fitted weights per cycle per core; a family without a measurement takes the
    /// median of the measured ones.
    func cpuWeightsPerCycle(_ quantBase: String) -> Double? {
        efficiency.cpuWeightsPerCycle[quantBase] ?? cpuWeightsPerCycleMedian
    }
}
