/// Everything in RAM (`-ngl 0`): the CPU streams the weights at the fastest NUMA policy's rate
/// that holds them, or multiplies them at its cores' rate when that is slower, and its threads
/// synchronise after every operation. llama.cpp's repacked copy of the weights sits beside the
/// mapped file; when that is what keeps the model out of RAM, `--no-mmap` fits it: the weights
/// are then read into memory and the repacked tensors only into their repacked buffer (llama.cpp
/// issue #16761), at the same speed. When it does not fit either way, the answer gives the
/// smaller need, unmapped.
struct CPUOnlyPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        let (p, d) = (c.parts, c.devices)
        guard let total = d.hostTotal else { return nil }
        let mapped = c.hostNeed + p.repack
        let unmapped = p.repack > 0 && mapped > total
        let need = unmapped ? c.hostNeed : mapped
        let numa = c.cpuRead(need: need)
        return PlacementCandidate(
            mode: .cpu,
            fits: need <= total,
            fitsNow: PlacementCandidate.fitsNow([(d.hostFree, need)]),
            gpuLayers: 0,
            shares: [.init(device: .cpu, bytes: need)],
            gpusUsed: [],
            repack: unmapped ? 0 : p.repack,
            decode: DecodeCost(
                shares: [
                    .init(
                        device: .cpu,
                        weightBytes: p.activeBytes,
                        kvFraction: 1,
                        bandwidthBytesPerS: numa.bandwidth,
                        efficiency: c.cpuEta,
                        computeSeconds: c.cpuComputeSeconds(p.activeWeights),
                        fixedSeconds: c.cpuSyncSeconds(layers: p.layers)
                    )
                ],
                layers: p.layers,
                perLayerSeconds: 0
            ),
            basis: c.basis(d.cpuBandwidthSource, numa.bandwidth, c.cpuEta, c.cpuSyncSecondsPerLayer),
            basisNotes: c.cpuNotes(bandwidth: numa.bandwidth),
            why: unmapped ? .cpuOnlyNoMmap(need: need, ram: total, repack: p.repack) : .cpuOnly(need: need, ram: total),
            flags: "-ngl 0" + numa.flag + (unmapped ? " --no-mmap" : ""),
            numactl: numa.numactl,
            numaReasons: numa.reasons
        )
    }
}
