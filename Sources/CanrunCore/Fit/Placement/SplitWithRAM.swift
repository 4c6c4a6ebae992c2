/// A placement that keeps part of the model on the largest GPU and part in RAM: what MoE
/// experts in RAM and partial offload share. Activations cross the GPU's link `copies` times per
/// token, and in prompt processing the GPU multiplies the weights in RAM (`hostWeights`).
struct SplitWithRAM {
    var gpu: FitEngine.Devices.GPU
    /// The host's RAM, bytes.
    var ram: Int64
    var transfer: ActivationTransfer

    init?(copies: Int, in c: PlacementContext) {
        guard let gpu = c.devices.gpus.first, let ram = c.devices.hostTotal else { return nil }
        self.gpu = gpu
        self.ram = ram
        transfer = c.transfer(copies: copies, over: PCIeCopyRate(gpu.link))
    }

    func candidate(
        _ mode: PlacementMode,
        gpuLayers: Int,
        onGPU: Int64,
        onCPU: Int64,
        repack: Int64,
        hostWeights: Int64,
        decode: DecodeCost,
        why: PlacementReason,
        flags: String,
        in c: PlacementContext
    ) -> PlacementCandidate {
        PlacementCandidate(
            mode: mode,
            fits: onGPU <= gpu.memory && onCPU <= ram,
            fitsNow: PlacementCandidate.fitsNow([(gpu.free, onGPU), (c.devices.hostFree, onCPU)]),
            gpuLayers: gpuLayers,
            shares: [.init(device: .gpu(gpu.index), bytes: onGPU), .init(device: .cpu, bytes: onCPU)],
            gpusUsed: [gpu],
            hostWeightBytes: hostWeights,
            repack: repack,
            decode: decode,
            basis: c.basis(of: gpu),
            basisNotes: [.activationCopies(transfer)],
            why: why,
            flags: flags
        )
    }
}

/// MoE: attention, shared experts and KV on the GPU, the routed experts of as few layers as it
/// takes in RAM (`--n-cpu-moe N`, the first N MoE layers; all of them: `-ot exps=CPU`), the way
/// llama.cpp's own `--fit` moves experts out layer by layer. A token reads those experts from RAM
/// on the CPU and the rest on the GPU, and its activations go to the CPU and back at each of
/// those layers.
struct MoEExpertsOnCPUPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        let p = c.parts
        guard p.model.isMoE, p.weights.expertBytes > 0, p.moeLayers > 0, let gpu = c.devices.gpus.first else {
            return nil
        }
        // Whole on the GPU, the experts of `n` layers lighter; where the whole fits, nothing goes.
        let perLayer = p.weights.expertBytes / Int64(p.moeLayers)
        let whole = c.hostNeed + gpu.overhead
        let over = whole - gpu.memory
        guard over > 0 else { return nil }
        let n = perLayer > 0 ? min(p.moeLayers, max(1, Int((over + perLayer - 1) / perLayer))) : p.moeLayers
        guard let split = SplitWithRAM(copies: 2 * n, in: c) else { return nil }
        let backend = c.efficiency.model.backends[gpu.backend]
        // Shares in floating point: byte counts of large MoE models multiply past Int64.
        let layerShare = Double(n) / Double(p.moeLayers)
        let inRAM = n == p.moeLayers ? p.weights.expertBytes : perLayer * Int64(n)
        let onGPU = whole - inRAM
        let expertShare = p.weights.bytes > 0 ? Double(inRAM) / Double(p.weights.bytes) : 0
        let repack = Int64(Double(p.repack) * expertShare)
        let onCPU = inRAM + repack
        let expertBytesInRAM = Int64(Double(p.expertActiveBytes) * layerShare)
        let expertWeightsInRAM = Int64(Double(p.expertActiveWeights) * layerShare)
        let decode = DecodeCost(
            shares: [
                c.gpuDecodeShare(
                    gpu,
                    weightBytes: p.activeBytes - expertBytesInRAM,
                    kvFraction: 1,
                    multipliedWeights: p.activeWeights - expertWeightsInRAM
                ),
                .init(
                    device: .cpu,
                    weightBytes: expertBytesInRAM,
                    kvFraction: 0,
                    bandwidthBytesPerS: c.cpuRead(need: onCPU).bandwidth,
                    efficiency: c.cpuEta,
                    computeSeconds: c.cpuComputeSeconds(expertWeightsInRAM)
                ),
            ],
            layers: p.layers,
            perLayerSeconds: backend?.tauSecondsPerLayer ?? 0,
            transfer: split.transfer
        )
        return split.candidate(
            .moeExpertsOnCPU,
            gpuLayers: p.layers + 1,
            onGPU: onGPU,
            onCPU: onCPU,
            repack: repack,
            hostWeights: inRAM,
            decode: decode,
            why: .expertsInRAM(inRAM: onCPU, gpu: gpu.index, onGPU: onGPU, layers: n, moeLayers: p.moeLayers),
            flags: (n == p.moeLayers
                ? "-ngl 99 -ot exps=CPU" : "-ngl 99 --n-cpu-moe \(Self.firstLayers(holding: n, p))")
                + " --no-mmap"
                + c.pinning(gpu),
            in: c
        )
    }
}

extension MoEExpertsOnCPUPlacement {
    /// `--n-cpu-moe N` counts layers from the first, dense ones included (llama.cpp overrides
    /// `blk.i.ffn_*_exps` for i below N): the N whose first layers hold `moeLayers` MoE layers
    /// (DeepSeek V3's first 3 layers are dense).
    static func firstLayers(holding moeLayers: Int, _ p: FitEngine.Parts) -> Int {
        var seen = 0
        for layer in 0..<p.layers where p.model.isMoELayer(layer) {
            seen += 1
            if seen == moeLayers { return layer + 1 }
        }
        return p.layers
    }
}

/// Partial offload: as many whole layers (weights and KV) as fit on the GPU (`-ngl N`), the rest
/// in RAM; a token runs the CPU's layers, then the GPU's, its activations crossing once.
struct PartialOffloadPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        let p = c.parts
        guard let split = SplitWithRAM(copies: 1, in: c) else { return nil }
        let gpu = split.gpu
        let backend = c.efficiency.model.backends[gpu.backend]
        let perLayer = (p.weights.bytes - p.weights.embeddingBytes) / Int64(max(1, p.layers))
        let kvPerLayer = p.kv.totalBytes / Int64(max(1, p.layers))
        let room = gpu.memory - gpu.overhead - p.compute
        let layersOnGPU = room > 0 ? min(p.layers, Int(room / max(1, perLayer + kvPerLayer))) : 0
        guard layersOnGPU > 0, layersOnGPU < p.layers else { return nil }
        let fraction = Double(layersOnGPU) / Double(p.layers)
        let gpuBytes = Int64(Double(p.activeBytes) * fraction)
        let onGPU = Int64(layersOnGPU) * (perLayer + kvPerLayer) + p.compute + gpu.overhead
        let repack = Int64(Double(p.repack) * (1 - fraction))
        let onCPU = c.hostNeed - onGPU + gpu.overhead + repack
        let decode = DecodeCost(
            shares: [
                c.gpuDecodeShare(
                    gpu,
                    weightBytes: gpuBytes,
                    kvFraction: fraction,
                    multipliedWeights: Int64(Double(p.activeWeights) * fraction)
                ),
                .init(
                    device: .cpu,
                    weightBytes: p.activeBytes - gpuBytes,
                    kvFraction: 1 - fraction,
                    bandwidthBytesPerS: c.cpuRead(need: onCPU).bandwidth,
                    efficiency: c.cpuEta,
                    computeSeconds: c.cpuComputeSeconds(Int64(Double(p.activeWeights) * (1 - fraction))),
                    fixedSeconds: c.cpuSyncSeconds(layers: p.layers - layersOnGPU)
                ),
            ],
            layers: layersOnGPU,
            perLayerSeconds: backend?.tauSecondsPerLayer ?? 0,
            transfer: split.transfer
        )
        return split.candidate(
            .partialOffload,
            gpuLayers: layersOnGPU,
            onGPU: onGPU,
            onCPU: onCPU,
            repack: repack,
            hostWeights: perLayer * Int64(p.layers - layersOnGPU),
            decode: decode,
            why: .partialOffload(layersOnGPU: layersOnGPU, layers: p.layers, gpu: gpu.index),
            flags: "-ngl \(layersOnGPU) --no-mmap" + c.pinning(gpu),
            in: c
        )
    }
}
