/// Everything in RAM (`-ngl 0`): the CPU streams the weights at the fastest NUMA policy's rate
/// that holds them, or multiplies them at its cores' rate when that is slower, and its threads
/// synchronise after every operation. llama.cpp's repacked copy of the weights sits beside the
/// mapped file.
struct CPUOnlyPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        let (p, d) = (c.parts, c.devices)
        guard let total = d.hostTotal else { return nil }
        let need = c.hostNeed + p.repack
        let numa = c.cpuRead(need: need)
        return PlacementCandidate(
            mode: .cpu,
            fits: need <= total,
            fitsNow: PlacementCandidate.fitsNow([(d.hostFree, need)]),
            gpuLayers: 0,
            shares: [.init(device: .cpu, bytes: need)],
            gpusUsed: [],
            repack: p.repack,
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
            why: .cpuOnly(need: need, ram: total),
            flags: "-ngl 0" + numa.flag,
            numactl: numa.numactl,
            numaReasons: numa.reasons
        )
    }
}
