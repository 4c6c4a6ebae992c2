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
            let label =
                "\(r["model"] ?? "?") \(r["quant"] ?? "?") \(r["hardware_gpu"].flatMap { $0.isEmpty ? nil : $0 } ?? r["hardware_cpu"] ?? "?")"
            guard let tps = Double(r["tg_tps"] ?? ""), tps > 0 else { continue }
            guard let id = modelIDs[r["model"] ?? ""], let model = catalog.model(id) else {
                skipped.append("\(label): model not in the catalog's calibration map")
                continue
            }
            let backend = (r["backend"] ?? "").lowercased()
            let kind = backend.hasPrefix("metal") ? "metal" : backend.hasPrefix("cuda") ? "cuda" : "cpu"
            var bandwidth = Double(r["mem_bw_gbs"] ?? "").map { $0 * 1e9 }
            if bandwidth == nil, kind == "metal" {
                bandwidth = appleBandwidthGBs[r["hardware_cpu"] ?? ""].map { $0 * 1e9 }
            }
            if bandwidth == nil, kind == "cuda", let gpu = r["hardware_gpu"], let entry = gpus.lookup(productName: gpu)
            {
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

    /// Weight bytes one decoded token reads: every tensor but the token embedding table (one row
    /// of it is looked up), routed experts at k ÷ n.
    public static func decodeBytes(_ model: ModelSpec, quant: String, quants: QuantTable) -> Int64? {
        let inventory = TensorInventory(model)
        guard let recipe = QuantRecipe(quant: quant, model: model, table: quants) else { return nil }
        let n = Int64(max(1, model.numExperts ?? 1))
        let k = Int64(model.numExpertsPerTok ?? Int(n))
        var total: Int64 = 0
        for tensor in inventory.tensors where !(tensor.name == "token_embd.weight" && !model.tieWordEmbeddings) {
            guard let type = quants.type(named: recipe.typeName(for: tensor)), let row = type.rowBytes(tensor.rowLength)
            else { return nil }
            let bytes = row * (tensor.elements / max(1, tensor.rowLength))
            total += tensor.isExpert ? bytes / n * k : bytes
        }
        return total
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
