import Foundation

/// Turns published decode measurements (`reference/speeds.csv`: model, quant, backend, the
/// chip's memory bandwidth, tokens/s) into observations for `DecodeSpeedModel.fit`, and reports
/// how well a model reproduces them.
public enum SpeedCalibration {
    public struct Row: Sendable, Equatable {
        public var label: String
        public var backend: String
        public var observation: DecodeSpeedModel.Observation
    }

    /// Reference model names → catalog ids.
    public static let modelIDs: [String: String] = [
        "LLaMA-2-7B": "llama-2-7b", "Llama-3.1-8B-Instruct": "llama-3.1-8b",
        "TinyLlama-1.1B (openorca)": "tinyllama-1.1b",
    ]

    /// Apple's published memory bandwidth for chips whose rows leave `mem_bw_gbs` empty, GB/s
    /// (apple.com M1 Max product page: 400 GB/s).
    public static let appleBandwidthGBs: [String: Double] = ["Apple M1 Max": 400]

    /// Observations from the rows whose bandwidth the data (or the vendors' tables) gives; CPU rows
    /// without a measured bandwidth are left out and listed in `skipped`.
    public static func rows(
        csv: String,
        catalog: ModelCatalog,
        quants: QuantTable,
        gpus: GPUTable
    ) -> (rows: [Row], skipped: [String]) {
        var rows: [Row] = []
        var skipped: [String] = []
        for r in CSVReader.records(csv) {
            let m = Measurement(r)
            let label = m.label
            guard let tps = Double(r["tg_tps"] ?? ""), tps > 0 else { continue }
            guard let model = m.model(in: catalog) else {
                skipped.append("\(label): model not in the catalog's calibration map")
                continue
            }
            let kind = m.backend
            var bandwidth = Double(r["mem_bw_gbs"] ?? "").map { $0 * 1e9 }
            if bandwidth == nil, kind == "metal" {
                bandwidth = appleBandwidthGBs[m.cpuName].map { $0 * 1e9 }
            }
            if bandwidth == nil, kind == "cuda", let gpu = m.gpuName, let entry = gpus.lookup(productName: gpu) {
                bandwidth = entry.bandwidthBytesPerS.map(Double.init)
            }
            guard let bandwidth else {
                skipped.append("\(label): the data gives no memory bandwidth for this machine")
                continue
            }
            guard let bytes = decodeBytes(model, quant: r["quant"] ?? "", quants: quants) else {
                skipped.append("\(label): quantization not estimable")
                continue
            }
            rows.append(
                Row(
                    label: label,
                    backend: kind,
                    observation: .init(
                        bytesPerToken: Double(bytes),
                        bandwidth: bandwidth,
                        layers: model.numHiddenLayers,
                        seconds: 1 / tps
                    )
                )
            )
        }
        return (rows, skipped)
    }

    /// Weight bytes one decoded token reads (`WeightsEstimate.activeBytes`).
    public static func decodeBytes(_ model: ModelSpec, quant: String, quants: QuantTable) -> Int64? {
        WeightsEstimate(model: model, quant: quant, table: quants)?.activeBytes(model)
    }

    /// What every calibration row says the same way: which model, on which backend, and a label.
    struct Measurement {
        var record: [String: String]
        var label: String
        /// `metal`, `cuda` or `cpu`, from the row's backend text.
        var backend: String
        var gpuName: String?
        var cpuName: String { record["hardware_cpu"] ?? "" }

        init(_ r: [String: String]) {
            record = r
            gpuName = r["hardware_gpu"].flatMap { $0.isEmpty ? nil : $0 }
            label = "\(r["model"] ?? "?") \(r["quant"] ?? "?") \(gpuName ?? r["hardware_cpu"] ?? "?")"
            let text = (r["backend"] ?? "").lowercased()
            backend = text.hasPrefix("metal") ? "metal" : text.hasPrefix("cuda") ? "cuda" : "cpu"
        }

        /// The catalog model of the row, through `modelIDs`.
        func model(in catalog: ModelCatalog) -> ModelSpec? {
            SpeedCalibration.modelIDs[record["model"] ?? ""].flatMap(catalog.model)
        }
    }

    /// Relative errors of `model` on `rows`: predicted ÷ measured time − 1.
    public static func errors(_ rows: [Row], model: DecodeSpeedModel) -> [(String, Double)] {
        rows.compactMap { row in
            let o = row.observation
            guard
                let t = model.secondsPerToken(
                    bytes: o.bytesPerToken,
                    bandwidth: o.bandwidth,
                    layers: o.layers,
                    backend: row.backend
                )
            else { return nil }
            return (row.label, t / o.seconds - 1)
        }
    }
}

extension SpeedCalibration {
    public struct PrefillRow: Sendable, Equatable {
        public var label: String
        public var backend: String
        /// The quantization's base ggml type (`Q4_K` for Q4_K_S): CPU efficiencies are per family.
        public var family: String
        public var observation: PrefillSpeedModel.Observation
    }

    /// CPUs of the calibration rows, as a probe of them would report (cores, cpufreq maximum,
    /// vector unit), from the vendors' spec pages.
    public static let calibrationCPUs: [String: CPUFacts] = [
        // amd.com Ryzen 9 7950X: 16 cores, max boost 5.7 GHz, AVX-512 on 256-bit datapaths (Zen 4).
        "AMD Ryzen 9 7950X": CPUFacts(
            vendor: "AuthenticAMD",
            cores: 16,
            threads: 32,
            isa: ["avx2", "avx512f", "fma"],
            frequencyMaxMhz: 5700
        )
    ]

    /// Prefill observations: rows with a prompt speed whose device peak is known (Apple GPU cores
    /// from the row, the GPU table, or `calibrationCPUs`). Hybrid CPU+GPU rows are left out.
    public static func prefillRows(
        csv: String,
        catalog: ModelCatalog,
        quants: QuantTable,
        gpus: GPUTable
    ) -> (rows: [PrefillRow], skipped: [String]) {
        var rows: [PrefillRow] = []
        var skipped: [String] = []
        for r in CSVReader.records(csv) {
            let m = Measurement(r)
            let (label, backend, gpuName) = (m.label, m.backend, m.gpuName)
            guard let tps = Double(r["pp_tps"] ?? ""), tps > 0 else { continue }
            guard let model = m.model(in: catalog) else {
                skipped.append("\(label): model not in the catalog's calibration map")
                continue
            }
            let peak: Double?
            switch backend {
            case "metal":
                peak = gpuName.flatMap(appleGPUCores).flatMap {
                    ComputePeak.appleGPUFlopsPerS(chip: m.cpuName, gpuCores: $0)
                }
            case "cuda":
                peak = gpuName.flatMap { gpus.lookup(productName: $0)?.fp16FlopsPerS }.map(Double.init)
            default:
                peak = ComputePeak.cpuFlopsPerS(calibrationCPUs[m.cpuName])
            }
            guard let peak else {
                skipped.append("\(label): no peak FLOP/s for this \(backend) device")
                continue
            }
            guard let named = quants.namedQuant(r["quant"] ?? "") else {
                skipped.append("\(label): quantization unknown")
                continue
            }
            let prompt = Int((r["test_pp"] ?? "").filter(\.isNumber)) ?? PrefillSpeedModel.referencePromptTokens
            let flops = PrefillSpeedModel.flopsPerToken(
                model: model,
                multipliedWeights: TensorInventory(model).activeParameters(model),
                promptTokens: prompt
            )
            rows.append(
                PrefillRow(
                    label: label,
                    backend: backend,
                    family: named.base,
                    observation: .init(flopsPerToken: flops, peakFlopsPerS: peak, tokensPerS: tps)
                )
            )
        }
        return (rows, skipped)
    }

    /// `Apple M2 Max (30-core GPU)` → 30.
    static func appleGPUCores(_ name: String) -> Int? {
        guard let range = name.range(of: "-core GPU") else { return nil }
        let digits = name[..<range.lowerBound].reversed().prefix { $0.isNumber }
        return Int(String(digits.reversed()))
    }

    /// Relative errors of `model` on prefill `rows`: predicted ÷ measured time − 1.
    public static func prefillErrors(_ rows: [PrefillRow], model: PrefillSpeedModel) -> [(String, Double)] {
        rows.compactMap { row in
            let o = row.observation
            guard
                let tps = PrefillSpeedModel.tokensPerSecond(
                    flopsPerToken: o.flopsPerToken,
                    shares: [(1, o.peakFlopsPerS, model.efficiency(backend: row.backend, quantFamily: row.family))]
                )
            else { return nil }
            return (row.label, o.tokensPerS / tps - 1)
        }
    }
}
