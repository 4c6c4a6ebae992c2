/// Why a fit came out as it did, as values; `PlacementText` puts them in words. One for each
/// placement considered (why it won or lost), the NUMA policies that lost, and what the answer
/// could not know.
enum PlacementReason: Sendable, Equatable {
    /// CPU only: `need` bytes against `ram`.
    case cpuOnly(need: Int64, ram: Int64)
    /// CPU only fits only with `--no-mmap`: the repacked copy (`repack` bytes) then stands in
    /// for the mapped weights instead of beside them.
    case cpuOnlyNoMmap(need: Int64, ram: Int64, repack: Int64)
    /// The integrated GPU uses `need` of `ram` shared bytes.
    case unified(need: Int64, ram: Int64)
    /// Everything on GPU `gpu`: `need` bytes against its `capacity`.
    case allOnGPU(gpu: Int, need: Int64, capacity: Int64)
    /// Layers split over `count` GPUs: `need` bytes against their `total`.
    case splitOverGPUs(count: Int, need: Int64, total: Int64)
    /// Routed experts of `layers` of the `moeLayers` MoE layers in RAM (`inRAM` bytes), the rest
    /// on GPU `gpu` (`onGPU` bytes).
    case expertsInRAM(inRAM: Int64, gpu: Int, onGPU: Int64, layers: Int, moeLayers: Int)
    /// `layersOnGPU` of `layers` layers on GPU `gpu`, the rest in RAM.
    case partialOffload(layersOnGPU: Int, layers: Int, gpu: Int)
    /// The machine's memory is unknown.
    case noMemoryFigure
    /// A NUMA policy lost to the chosen one for `need` bytes.
    case numaLost(NUMAPlan.Option, to: NUMAPlan.Option, need: Int64)
    /// NUMA distribute wants the page cache dropped before the first run.
    case numaDropPageCache
    /// The weights came from a GGUF file's tensor table.
    case weightsMeasured
    /// `format` is how `model` ships and llama.cpp has no type for it: answered as `gguf`.
    case nativeFormat(String, model: String, gguf: String)
    /// The context is beyond the trained one, reached with the YaRN the model documents.
    case yarn(trained: Int, factor: Double, original: Int, flags: String, source: String?)
    /// The measured bandwidth moved between measurements (`BandwidthReport.unsteadyNote`).
    case bandwidthUnsteady(String)
    /// The CPU's bandwidth reading was taken while other programs were busy
    /// (`BandwidthReport.provisionalNote`).
    case bandwidthProvisional(String)
    /// The placement fits the machine but not what is free now.
    case notFreeNow
    /// No bandwidth, so no decode speed.
    case decodeSpeedUnknown
    /// No peak FLOP/s for the CPU (`cpu`) or a GPU, so no prefill speed.
    case prefillSpeedUnknown(cpu: Bool)
}

/// How a decode figure was bounded, as values (`PlacementText` puts them in words).
enum BasisNote: Sendable, Equatable {
    /// The CPU's cores multiply `weightsPerS` weights a second: cores × clock × weights per cycle.
    case cpuCompute(cores: Int, frequencyMHz: Int, weightsPerCycle: Double, quant: String, weightsPerS: Double)
    /// The cores multiply slower than memory streams.
    case cpuComputeBound
    /// Cores, clock or vector unit unknown.
    case cpuComputeUnknown
    /// The CPU's per-family rates are this machine's own (`MachineCalibration.note`).
    case cpuCalibrated(String)
    /// The CPU's rate is the memory's theoretical peak, of which a streaming read sustains `share`.
    case cpuPeakReadShare(Double)
    /// `threads` CPU threads (nil: the core count is unknown) synchronise after every operation:
    /// `secondsPerLayer` per layer and token.
    case cpuThreadSync(threads: Int?, secondsPerLayer: Double)
    /// Activations crossing between devices.
    case activationCopies(ActivationTransfer)
    /// Weights in RAM copied to the GPU for prompt processing.
    case promptOffload(PromptOffload)
}
