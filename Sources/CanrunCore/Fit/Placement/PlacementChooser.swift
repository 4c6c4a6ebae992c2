/// Which placement llama.cpp should run, and the order the others are reported in.
enum PlacementChooser {
    /// Fitting first, then faster; with speeds unknown, the placement that keeps more on GPUs.
    /// Ties keep the candidates' order.
    static func ranked(_ candidates: [PlacementCandidate]) -> [PlacementCandidate] {
        candidates.sorted {
            ($0.fits ? 0 : 1, -($0.speed ?? 0), -$0.gpuLayers) < ($1.fits ? 0 : 1, -($1.speed ?? 0), -$1.gpuLayers)
        }
    }

    /// The first fitting placement of `ranked` (else its first), with two preferences:
    /// - experts in RAM over partial offload when decode is within 10 %: attention, KV and prompt
    ///   processing stay on the GPU (llama.cpp's own `--fit` moves experts out first);
    /// - unified over CPU only when it fits: the preset's or probe's bandwidth is the GPU's (the
    ///   CPU cores alone reach only part of it: M2 Ultra 800 GB/s for the GPU), and llama.cpp
    ///   offloads every layer there by default.
    /// Nil when there is no candidate.
    static func best(of ranked: [PlacementCandidate]) -> PlacementCandidate? {
        guard var best = ranked.first(where: \.fits) ?? ranked.first else { return nil }
        if best.mode == .partialOffload,
            let moe = ranked.first(where: { $0.mode == .moeExpertsOnCPU && $0.fits }),
            let a = moe.speed, let b = best.speed, a >= 0.9 * b
        {
            best = moe
        }
        if best.mode == .cpu, let unified = ranked.first(where: { $0.mode == .unified && $0.fits }) {
            best = unified
        }
        return best
    }
}
