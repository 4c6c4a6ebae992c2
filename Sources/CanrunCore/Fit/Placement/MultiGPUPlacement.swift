/// Layers split over every discrete GPU in proportion to its memory (llama.cpp's default layer
/// split, `--tensor-split`): a token passes through each GPU in turn, at the slowest GPU's rate,
/// and its activations cross each boundary between GPUs.
struct MultiGPUPlacement: Placement {
    func candidate(in c: PlacementContext) -> PlacementCandidate? {
        let (p, gpus) = (c.parts, c.devices.gpus)
        guard gpus.count > 1, let first = gpus.first else { return nil }
        let backend = c.efficiency.model.backends[first.backend]
        let total = gpus.reduce(Int64(0)) { $0 + $1.memory }
        let need = c.hostNeed + gpus.reduce(Int64(0)) { $0 + $1.overhead }
        let slowest = gpus.filter { $0.bandwidth != nil }.min { $0.bandwidth! < $1.bandwidth! } ?? first
        let transfer = c.transfer(copies: gpus.count - 1, over: PCIeCopyRate(slowestOf: gpus.map(\.link)))
        let ratios = gpus.map { ProfileText.decimal(Double($0.memory) / Double(1 << 30), places: 0) }
        let shares = gpus.map {
            FitReport.DeviceShare(
                device: .gpu($0.index),
                bytes: Int64(Double(need) * Double($0.memory) / Double(total))
            )
        }
        return PlacementCandidate(
            mode: .multiGPU,
            fits: need <= total,
            fitsNow: PlacementCandidate.fitsNow(zip(gpus, shares).map { ($0.free, $1.bytes) }),
            gpuLayers: p.layers + 1,
            shares: shares,
            gpusUsed: gpus,
            decode: DecodeCost(
                shares: [
                    c.gpuDecodeShare(
                        slowest,
                        weightBytes: p.activeBytes,
                        kvFraction: 1,
                        multipliedWeights: p.activeWeights
                    )
                ],
                layers: p.layers,
                perLayerSeconds: backend?.tauSecondsPerLayer ?? 0,
                transfer: transfer
            ),
            basis: c.basis(of: first),
            basisNotes: [.activationCopies(transfer)],
            why: .splitOverGPUs(count: gpus.count, need: need, total: total),
            flags: "-ngl 99 -sm layer --tensor-split \(ratios.joined(separator: ","))"
        )
    }
}
