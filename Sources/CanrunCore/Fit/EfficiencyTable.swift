import Foundation

/// `config/efficiency.toml`: the decode model's fitted per-backend parameters.
public struct EfficiencyTable: Sendable, Equatable {
    public var model: DecodeSpeedModel
    /// CPU decode compute: weights a core multiplies per cycle at 8 FP32 lanes, per weight type
    /// family (`[backend.cpu.weights_per_cycle]`); `ComputePeak.cpuDecodeWeightsPerS`.
    public var cpuWeightsPerCycle: [String: Double]
    /// Prompt-processing efficiencies (`[prefill.<backend>]`); empty when the file has none, and
    /// then prefill speed is unknown.
    public var prefill: PrefillSpeedModel
    /// Set when this machine's own CPU rates replace the table's (`MachineCalibration.applied`):
    /// the note every CPU answer then carries in its basis.
    public var cpuCalibration: String? = nil

    public init(toml: String) throws {
        let table: [String: Any]
        do {
            table = try TOMLDocument.object(toml)
        } catch {
            throw QuantTable.LoadError.invalid("efficiency.toml: \(error)")
        }
        func number(_ t: [String: Any], _ key: String) -> Double? { TOMLDocument.number(t[key]) }
        guard let backends = table["backend"] as? [String: Any] else {
            throw QuantTable.LoadError.invalid("efficiency.toml has no [backend.*] tables")
        }
        var parsed: [String: DecodeSpeedModel.Backend] = [:]
        var perCycle: [String: Double] = [:]
        for (name, value) in backends {
            guard let t = value as? [String: Any], let eta = number(t, "eta"),
                let tau = number(t, "tau_seconds_per_layer")
            else {
                throw QuantTable.LoadError.invalid(
                    "efficiency.toml: backend \(name) needs eta and tau_seconds_per_layer"
                )
            }
            let kappa = number(t, "weights_per_fp32_flop")
            if let kappa, !(kappa > 0) {
                throw QuantTable.LoadError.invalid(
                    "efficiency.toml: backend.\(name).weights_per_fp32_flop must be positive"
                )
            }
            let share = number(t, "peak_read_share")
            if let share, name != "cpu" || !(share > 0 && share <= 1) {
                throw QuantTable.LoadError.invalid(
                    "efficiency.toml: backend.\(name).peak_read_share must be a share of the peak, above 0 and at most 1, and only the CPU has one (a GPU's bandwidth is its table's or its driver's)"
                )
            }
            guard eta > 0, eta.isFinite, tau >= 0, tau.isFinite else {
                throw QuantTable.LoadError.invalid(
                    "efficiency.toml: backend.\(name) needs a positive eta and a tau_seconds_per_layer of 0 or more"
                )
            }
            parsed[name] = .init(
                eta: eta,
                tauSecondsPerLayer: tau,
                weightsPerFP32Flop: kappa,
                peakReadShare: share,
                source: t["source"] as? String ?? ""
            )
            if name == "cpu", let f = t["weights_per_cycle"] as? [String: Any] {
                for (family, v) in f {
                    guard let d = TOMLDocument.number(v), d > 0 else {
                        throw QuantTable.LoadError.invalid(
                            "efficiency.toml: backend.cpu.weights_per_cycle.\(family) must be a positive number"
                        )
                    }
                    perCycle[family] = d
                }
            }
        }
        model = DecodeSpeedModel(backends: parsed)
        cpuWeightsPerCycle = perCycle
        var prefillEta: [String: Double] = [:]
        var prefillFamilies: [String: Double] = [:]
        var prefillKernels: [String: Double] = [:]
        var prefillAttention: [String: Double] = [:]
        var prefillShader: [String: Double] = [:]
        var sustainedWatts: [String: Double] = [:]
        if let prefillTables = table["prefill"] as? [String: Any] {
            // Two tables are not backends: flash attention's η per backend, and the sustained power
            // per GPU architecture.
            let keyed = ["flash_attention_eta", "sustained_watts_per_fp32_tflop"]
            for name in keyed {
                for (key, v) in prefillTables[name] as? [String: Any] ?? [:] {
                    guard let d = TOMLDocument.number(v), d > 0, d.isFinite else {
                        throw QuantTable.LoadError.invalid(
                            "efficiency.toml: prefill.\(name).\(key) must be a positive number"
                        )
                    }
                    if name == "flash_attention_eta", GPUBackend(rawValue: key) == nil {
                        throw QuantTable.LoadError.invalid(
                            "efficiency.toml: prefill.flash_attention_eta.\(key) is not a GPU backend (cuda, rocm, vulkan, metal)"
                        )
                    }
                    if name == "flash_attention_eta" { prefillAttention[key] = d } else { sustainedWatts[key] = d }
                }
            }
            for (name, value) in prefillTables where !keyed.contains(name) {
                guard let t = value as? [String: Any], number(t, "eta").map({ $0 > 0 }) ?? (t["kernel"] != nil) else {
                    throw QuantTable.LoadError.invalid(
                        "efficiency.toml: prefill.\(name) needs a positive eta or a kernel table"
                    )
                }
                prefillEta[name] = number(t, "eta")
                if name == "cpu", let f = t["quant_family"] as? [String: Any] {
                    for (family, v) in f { if let d = TOMLDocument.number(v), d > 0 { prefillFamilies[family] = d } }
                }
                for (kernel, v) in t["kernel"] as? [String: Any] ?? [:] {
                    guard PrefillKernel(rawValue: kernel) != nil, let d = TOMLDocument.number(v), d > 0 else {
                        throw QuantTable.LoadError.invalid(
                            "efficiency.toml: prefill.\(name).kernel.\(kernel) must be a kernel of "
                                + PrefillKernel.allCases.map(\.rawValue).joined(separator: ", ") + " with a positive η"
                        )
                    }
                    prefillKernels["\(name).\(kernel)"] = d
                }
                for (kernel, v) in t["weights_per_fp32_flop"] as? [String: Any] ?? [:] {
                    guard PrefillKernel(rawValue: kernel) != nil, let d = TOMLDocument.number(v), d > 0, d.isFinite
                    else {
                        throw QuantTable.LoadError.invalid(
                            "efficiency.toml: prefill.\(name).weights_per_fp32_flop.\(kernel) must be a kernel of "
                                + PrefillKernel.allCases.map(\.rawValue).joined(separator: ", ")
                                + " with a positive rate"
                        )
                    }
                    prefillShader["\(name).\(kernel)"] = d
                }
            }
        }
        var vnniSpeedup: Double?
        if let cpu = (table["prefill"] as? [String: Any])?["cpu"] as? [String: Any],
            let speedup = number(cpu, "int8_vnni_speedup")
        {
            guard speedup > 0 else {
                throw QuantTable.LoadError.invalid("efficiency.toml: prefill.cpu.int8_vnni_speedup must be positive")
            }
            vnniSpeedup = speedup
        }
        var expertHalfBatch: Double?
        if let experts = table["prefill_experts"] as? [String: Any] {
            guard let half = number(experts, "half_batch_tokens"), half > 0 else {
                throw QuantTable.LoadError.invalid(
                    "efficiency.toml: prefill_experts.half_batch_tokens must be a positive number of tokens"
                )
            }
            expertHalfBatch = half
        }
        prefill = PrefillSpeedModel(
            eta: prefillEta,
            cpuByQuantFamily: prefillFamilies,
            kernels: prefillKernels,
            expertHalfBatchTokens: expertHalfBatch
        )
        prefill.cpuVNNISpeedup = vnniSpeedup
        prefill.attentionEta = prefillAttention
        prefill.weightsPerShaderFlop = prefillShader
        prefill.sustainedWattsPerFP32Teraflop = sustainedWatts
    }
}
