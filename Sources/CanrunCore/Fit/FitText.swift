import Foundation

/// The human answer of `canrun fit`.
public enum FitText {
    public static func render(_ r: FitReport) -> String {
        var lines: [String] = []
        lines.append(
            "\(TerminalText.sanitised(r.model)) \(TerminalText.sanitised(r.quant)), \(r.contextTokens) tokens of context, KV \(r.kvCacheType): \(r.verdict.words)"
        )
        let m = r.memory
        let repack = m.cpuRepackBytes > 0 ? " + CPU repack \(ProfileText.bytes(m.cpuRepackBytes))" : ""
        let context = m.backendContextBytes > 0 ? " + GPU context \(ProfileText.bytes(m.backendContextBytes))" : ""
        let margin = m.fitMarginBytes > 0 ? " + margin \(ProfileText.bytes(m.fitMarginBytes))" : ""
        lines.append(
            "memory: weights \(ProfileText.bytes(m.weightsBytes)) + KV \(ProfileText.bytes(m.kvCacheBytes)) + compute \(ProfileText.bytes(m.computeBufferBytes))\(repack)\(context)\(margin) = \(ProfileText.bytes(m.totalBytes))"
        )
        let shares = r.placement.devices.map { "\($0.device) \(ProfileText.bytes($0.bytes))" }.joined(separator: ", ")
        lines.append("placement: \(r.placement.mode) (\(shares))")
        if let speed = r.decodeTokensPerS {
            var text = String(format: "decode: %.1f tokens/s at depth 0", speed)
            if let full = r.decodeTokensPerSAtFullContext {
                text += String(format: ", %.1f at %d tokens", full, r.contextTokens)
            }
            lines.append(text)
        }
        if let prefill = r.prefillTokensPerS {
            lines.append(
                String(
                    format: "prefill: %.0f tokens/s (a %d-token prompt)",
                    prefill,
                    PrefillSpeedModel.referencePromptTokens
                )
            )
        }
        if let table = r.speedAtDepth, table.count > 1 {
            let cells = table.map { row in
                let decode = row.decodeTokensPerS.map { String(format: "%.1f", $0) } ?? "?"
                let prefill = row.prefillTokensPerS.map { String(format: "%.0f", $0) } ?? "?"
                return "\(row.depthTokens): \(decode) / \(prefill)"
            }
            lines.append("decode / prefill tokens/s by depth: " + cells.joined(separator: ", "))
        }
        lines.append("max context: \(r.maxContextTokens) tokens")
        let b = r.basis
        var basis = "basis: \(ProfileText.bytes(b.bytesPerToken)) read per token"
        if let bw = b.effectiveBandwidthBytesPerS {
            basis += " at \(ProfileText.rate(bw)) effective (\(b.bandwidthSource) bandwidth"
            basis += b.efficiency.map { String(format: " × efficiency %.2f)", $0) } ?? ")"
        } else {
            basis += "; bandwidth \(b.bandwidthSource)"
        }
        lines.append(basis)
        for share in b.prefill ?? [] { lines.append(Self.prefillBasis(share)) }
        // This machine's own rates answered: the one basis note a reader must see.
        for note in b.notes where note.hasPrefix(MachineCalibration.notePrefix) { lines.append("basis: " + note) }
        for reason in r.reasons { lines.append("- " + TerminalText.sanitised(reason, limit: 2048)) }
        if let parallel = r.parallel {
            let each = parallel.perStreamDecodeTokensPerS.map { ProfileText.decimal($0, places: 1) } ?? "?"
            let sum = parallel.aggregateDecodeTokensPerS.map { ProfileText.decimal($0, places: 1) } ?? "?"
            lines.append(
                "\(parallel.streams) streams at once: \(parallel.contextPerSlotTokens) tokens of context each, "
                    + "\(each) tokens/s each, \(sum) in all"
            )
        }
        if let commands = r.launchCommands {
            lines.append(commands.llamaServer)
            let environment = commands.ollama.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            lines.append(
                "ollama: num_ctx \(commands.ollama.numCtx), num_gpu \(commands.ollama.numGpu) (Modelfile PARAMETER lines); "
                    + "serve with " + environment.joined(separator: " ")
            )
        } else if let flags = r.launch["llama.cpp"] {
            lines.append("llama.cpp: \(flags)")
        }
        if let other = r.alternativeLaunch { lines.append(TerminalText.sanitised(other.text, limit: 2048)) }
        return lines.joined(separator: "\n")
    }

    /// `prefill basis: gpu0 mmq at 660.6 TOPS × η 0.40, weights unpacked at 2.21 per FP32 FLOP,
    /// flash attention at η 0.57 of FP16, clock 0.69 of boost (300 W, table)` for one device's part
    /// of a prompt (the clock only when the board's power holds less than its boost).
    static func prefillBasis(_ share: FitReport.PrefillShare) -> String {
        var line = "prefill basis: \(share.device)"
        if share.fraction < 1 { line += String(format: " (%.0f %%)", share.fraction * 100) }
        if let kernel = share.kernel { line += " " + kernel }
        if let peak = share.peakFlopsPerS {
            let integer = share.kernel == PrefillKernel.mmq.rawValue || share.kernel == PrefillKernel.dp4a.rawValue
            line += String(format: " at %.1f ", peak / 1e12) + (integer ? "TOPS" : "TFLOP/s")
            if share.peakShare < 1 {
                line += String(format: " (mma.sync: %.2f of the datasheet's)", share.peakShare)
            }
        }
        if let eta = share.efficiency { line += String(format: " × η %.2f", eta) }
        if let kappa = share.weightsPerShaderFlop {
            line += String(format: ", weights unpacked at %.2f per FP32 FLOP", kappa)
        }
        if let attention = share.flashAttentionEfficiency {
            line += String(format: ", flash attention at η %.2f of FP16", attention)
        }
        if share.clockFraction < 1 {
            line += String(format: ", clock %.2f of boost", share.clockFraction)
            if let watts = share.boardPowerW {
                line += " (\(ProfileText.decimal(watts, places: 0)) W, \(share.boardPowerSource ?? "table"))"
            }
        }
        return line
    }
}
