import CanrunCore

/// What every fit report must say, whatever the model: no negative or inconsistent sizes, no
/// speed that is negative or not finite, no placement beyond the model. A report that
/// breaks one lies to the user, which is worse than an error.
enum FitInvariants {
    static func check(_ report: FitReport, model: ModelSpec, target: String) throws(FuzzInvariant) {
        func fail(_ message: String) -> FuzzInvariant {
            FuzzInvariant(target, "\(report.model) \(report.quant) at \(report.contextTokens) tokens: \(message)")
        }
        let m = report.memory
        let parts: [(String, Int64)] = [
            ("weights_bytes", m.weightsBytes), ("kv_cache_bytes", m.kvCacheBytes),
            ("compute_buffer_bytes", m.computeBufferBytes), ("cpu_repack_bytes", m.cpuRepackBytes),
            ("backend_context_bytes", m.backendContextBytes), ("fit_margin_bytes", m.fitMarginBytes),
        ]
        for (name, value) in parts where value < 0 { throw fail("\(name) is \(value)") }
        if m.weightsBytes == 0 { throw fail("the weights take no memory") }
        let sum = parts.reduce(Int64(0)) { $0 + $1.1 }
        if m.totalBytes != sum { throw fail("total_bytes \(m.totalBytes) is not the sum of its parts \(sum)") }
        for share in report.placement.devices where share.bytes < 0 {
            throw fail("\(share.device) holds \(share.bytes) bytes")
        }
        if report.placement.gpuLayers < 0 || report.placement.gpuLayers > model.numHiddenLayers + 1 {
            throw fail("\(report.placement.gpuLayers) GPU layers of a \(model.numHiddenLayers)-layer model")
        }
        let speeds = [
            ("decode", report.decodeTokensPerS), ("decode at full context", report.decodeTokensPerSAtFullContext),
            ("prefill", report.prefillTokensPerS),
        ]
        // 0 is a speed below the reports' 0.01 tokens/s (a petabyte model streamed from RAM).
        for case (let name, let speed?) in speeds where !(speed.isFinite && speed >= 0) {
            throw fail("\(name) speed \(speed) tokens/s")
        }
        if report.maxContextTokens < 0 { throw fail("max_context_tokens \(report.maxContextTokens)") }
        if report.basis.bytesPerToken < 0 { throw fail("bytes_per_token \(report.basis.bytesPerToken)") }
        if let rate = report.basis.effectiveBandwidthBytesPerS, rate <= 0 {
            throw fail("effective bandwidth \(rate) B/s")
        }
    }

    /// Checks every report of `answer`.
    static func check(_ answer: FitAnswer, model: ModelSpec, target: String) throws(FuzzInvariant) -> String {
        switch answer {
        case .one(let report):
            try check(report, model: model, target: target)
            return report.verdict.rawValue
        case .every(let reports):
            for report in reports.reports { try check(report, model: model, target: target) }
            return reports.best?.verdict.rawValue ?? "no rung"
        }
    }
}
