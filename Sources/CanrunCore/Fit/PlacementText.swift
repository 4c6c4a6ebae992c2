/// The words for a fit's reasons and basis notes (`PlacementReason`, `BasisNote`).
extension PlacementReason {
    var text: String {
        switch self {
        case .cpuOnly(let need, let ram):
            need <= ram
                ? "CPU only: \(ProfileText.bytes(need)) of \(ProfileText.bytes(ram)) RAM"
                : "CPU only: needs \(ProfileText.bytes(need)), RAM is \(ProfileText.bytes(ram))"
        case .cpuOnlyNoMmap(let need, let ram, let repack) where need <= ram:
            "CPU only with --no-mmap: \(ProfileText.bytes(need)) of \(ProfileText.bytes(ram)) RAM; with the file mapped "
                + "(llama.cpp's default) its \(ProfileText.bytes(repack)) repacked copy sits beside the mapped weights "
                + "and it needs \(ProfileText.bytes(need + repack)) (--no-repack keeps the file mapped without the copy, "
                + "and multiplies slower)"
        case .cpuOnlyNoMmap(let need, let ram, _):
            "CPU only: needs \(ProfileText.bytes(need)) even with --no-mmap, RAM is \(ProfileText.bytes(ram))"
        case .unified(let need, let ram):
            "unified memory: the GPU uses \(ProfileText.bytes(need)) of \(ProfileText.bytes(ram)) shared RAM"
        case .allOnGPU(let gpu, let need, let capacity):
            need <= capacity
                ? "all on gpu\(gpu): \(ProfileText.bytes(need)) of \(ProfileText.bytes(capacity))"
                : "all on gpu\(gpu): needs \(ProfileText.bytes(need)), it has \(ProfileText.bytes(capacity))"
        case .splitOverGPUs(let count, let need, let total):
            "split over \(count) GPUs: \(ProfileText.bytes(need)) of \(ProfileText.bytes(total))"
        case .expertsInRAM(let inRAM, let gpu, let onGPU, let layers, let moeLayers):
            (layers < moeLayers ? "MoE experts of \(layers) of \(moeLayers) layers in RAM" : "MoE experts in RAM")
                + " (\(ProfileText.bytes(inRAM))), the rest on gpu\(gpu) (\(ProfileText.bytes(onGPU)))"
        case .partialOffload(let layersOnGPU, let layers, let gpu):
            "\(layersOnGPU) of \(layers) layers on gpu\(gpu), the rest in RAM"
        case .noMemoryFigure:
            "no memory figure for this machine: probe it first (canrun probe)"
        case .numaLost(let option, let chosen, let need):
            NUMAPlan.why(option, lostTo: chosen, need: need)
        case .numaDropPageCache:
            "NUMA distribute reads pages where threads first touch them: drop the page cache before the first run (sync; echo 3 > /proc/sys/vm/drop_caches)"
        case .nativeFormat(let format, let model, let gguf):
            "\(format) is how \(model) ships, and llama.cpp has no \(format) type: answered as \(gguf), what its "
                + "converter (convert_hf_to_gguf.py dequantizes the checkpoint) and llama-quantize make of it at about "
                + "the shipped precision"
        case .weightsMeasured:
            "weights measured exactly from the file's tensor table"
        case .bandwidthUnsteady(let note), .bandwidthProvisional(let note):
            note
        case .yarn(let trained, let factor, let original, let flags, let source):
            "beyond the trained \(trained) tokens with YaRN, factor \(ProfileText.decimal(factor, places: factor.rounded() == factor ? 0 : 2)) over \(original)"
                + (source.map { " (\($0))" } ?? "")
                + ": llama.cpp needs \(flags); static YaRN scales every prompt, so short ones may lose a little quality"
        case .notFreeNow:
            "fits this machine but not the memory free now: other programs or models hold it"
        case .decodeSpeedUnknown:
            "speed unknown: no measured bandwidth and no SMBIOS peak; run canrun bench"
        case .prefillSpeedUnknown(let cpu):
            "prefill speed unknown: no peak FLOP/s for "
                + (cpu ? "the CPU (cores, clock or vector unit unknown)" : "the GPU (not in the table)")
        }
    }
}

extension BasisNote {
    var text: String {
        switch self {
        case .cpuCompute(let cores, let mhz, let perCycle, let quant, let rate):
            "CPU compute: \(cores) cores × \(ProfileText.decimal(Double(mhz) / 1000, places: 2)) GHz × "
                + "\(ProfileText.decimal(perCycle, places: 2)) \(quant) weights per cycle (8 lanes) = "
                + "\(ProfileText.decimal(rate / 1e9, places: 1)) G weights/s"
        case .cpuComputeBound:
            "decode is compute-bound: the cores multiply slower than memory streams"
        case .cpuComputeUnknown:
            "CPU compute bound unknown (cores, clock or vector unit unknown): memory-bound only"
        case .cpuCalibrated(let note):
            note
        case .cpuPeakReadShare(let share):
            "CPU memory: the theoretical peak × \(ProfileText.decimal(share, places: 2)) (what a streaming read "
                + "sustains of it; the machine's own read is not measured: `canrun bench` on it measures it)"
        case .cpuThreadSync(let threads, let perLayer):
            "CPU threads: \(threads.map(String.init) ?? "several") synchronise after every operation, "
                + "\(ProfileText.decimal(perLayer * 1e6, places: 0)) µs per layer and token"
        case .activationCopies(let transfer):
            transfer.note
        case .promptOffload(let offload):
            offload.note
        }
    }
}
