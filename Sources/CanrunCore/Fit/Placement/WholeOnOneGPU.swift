/// Everything on one GPU (`-ngl 99`) holding `capacity` bytes, `free` of them now: the GPU
/// streams the weights and the KV cache at its rate × its backend's η, and every layer costs its
/// backend's τ. `UnifiedPlacement` and `SingleGPUPlacement` differ in what memory they use.
enum WholeOnOneGPU {
    static func candidate(
        _ g: FitEngine.Devices.GPU,
        mode: PlacementMode,
        capacity: Int64,
        free: Int64?,
        why: PlacementReason,
        flags: String = "-ngl 99",
        in c: PlacementContext
    ) -> PlacementCandidate {
        let backend = c.efficiency.model.backends[g.backend]
        let need = c.hostNeed + g.overhead
        return PlacementCandidate(
            mode: mode,
            fits: need <= capacity,
            fitsNow: PlacementCandidate.fitsNow([(free, need)]),
            gpuLayers: c.parts.layers + 1,
            shares: [.init(device: .gpu(g.index), bytes: need)],
            gpusUsed: [g],
            decode: DecodeCost(
                shares: [
                    c.gpuDecodeShare(
                        g,
                        weightBytes: c.parts.activeBytes,
                        kvFraction: 1,
                        multipliedWeights: c.parts.activeWeights
                    )
                ],
                layers: c.parts.layers,
                perLayerSeconds: backend?.tauSecondsPerLayer ?? 0
            ),
            basis: c.basis(of: g),
            why: why,
            flags: flags
        )
    }
}

/// Unified memory (GB10, Apple, Strix Halo): the integrated GPU holds everything in the host's
/// RAM and reads it at the machine's rate.
struct UnifiedPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        guard let u = c.devices.unified, let total = c.devices.hostTotal else { return nil }
        return WholeOnOneGPU.candidate(
            u,
            mode: .unified,
            capacity: total,
            free: c.devices.hostFree,
            why: .unified(need: c.hostNeed + u.overhead, ram: total),
            in: c
        )
    }
}

/// Everything on the largest discrete GPU, pinned there when the machine has several.
struct SingleGPUPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        guard let gpu = c.devices.gpus.first else { return nil }
        return WholeOnOneGPU.candidate(
            gpu,
            mode: .gpu,
            capacity: gpu.memory,
            free: gpu.free,
            why: .allOnGPU(gpu: gpu.index, need: c.hostNeed + gpu.overhead, capacity: gpu.memory),
            flags: "-ngl 99" + c.pinning(gpu),
            in: c
        )
    }
}
