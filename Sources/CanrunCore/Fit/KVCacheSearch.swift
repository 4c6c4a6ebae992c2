/// The KV cache type an answer uses when none is asked (issue 13), and the other launch it names.
///
/// - `f16`, llama.cpp's default, loses nothing: the answer keeps it wherever it fits.
/// - `q8_0` (`-ctk q8_0 -ctv q8_0`, flash attention on) halves the cache and loses a little.
///   Published measurements disagree on how little: perplexity moves by thousandths, while the
///   KL-divergence runs in llama.cpp PR 21038's thread show more. So it is the answer only where
///   f16 fits nowhere, and is named as the faster launch where f16 fits with experts or layers in
///   RAM and q8_0 moves enough onto a GPU to decode `fasterBy` quicker.
/// - `q4_0` quarters the cache and loses noticeably, more as the context grows: never the
///   answer unless asked (`--kv q4_0`); named when it alone would make the model fit.
public enum KVCacheSearch {
    /// How much faster a quantized cache's launch must decode to be named beside the f16 answer.
    public static let fasterBy = 1.2

    /// What a quantized cache costs, in words for an answer.
    public static func qualityWords(_ kvType: String) -> String {
        switch kvType.lowercased() {
        case "q8_0": "an 8-bit KV cache loses a little"
        case "f16", "bf16", "f32": "a 16-bit KV cache loses nothing"
        case "q5_0", "q5_1": "a 5-bit KV cache loses noticeably, more as the context grows"
        default: "a 4-bit KV cache loses noticeably, more as the context grows"
        }
    }

    /// llama.cpp's flags for a KV cache type: both caches alike.
    public static func flags(_ kvType: String) -> String { "-ctk \(kvType) -ctv \(kvType)" }
}

/// A launch other than the answer's, found by the KV cache search: a faster one, or one that fits
/// where the answer does not. Encoded in the report as `alternative_launch`.
public struct AlternativeLaunch: Codable, Sendable, Equatable {
    public enum Why: String, Codable, Sendable {
        /// The answer fits; this decodes at least `KVCacheSearch.fasterBy` faster.
        case faster
        /// The answer does not fit; this does, at a noticeable quality loss it was not asked for.
        case fits
    }

    public var why: Why
    public var kvCacheType: String
    public var placement: PlacementMode
    /// Decode tokens/s at an empty context; nil when the bandwidth is unknown.
    public var decodeTokensPerS: Double?
    /// Everything the launch allocates, bytes (`FitReport.Memory.totalBytes`).
    public var memoryTotalBytes: Int64
    /// The whole `llama-server` line.
    public var llamaServer: String?
    /// What the cache type costs (`KVCacheSearch.qualityWords`).
    public var quality: String

    init(_ why: Why, _ report: FitReport) {
        self.why = why
        kvCacheType = report.kvCacheType
        placement = report.placement.mode
        decodeTokensPerS = report.decodeTokensPerS
        memoryTotalBytes = report.memory.totalBytes
        llamaServer = report.launchCommands?.llamaServer
        quality = KVCacheSearch.qualityWords(report.kvCacheType)
    }

    /// One line for the human answer.
    public var text: String {
        let speed = decodeTokensPerS.map { ProfileText.decimal($0, places: 1) + " tokens/s" } ?? "speed unknown"
        let head =
            why == .faster
            ? "faster with \(KVCacheSearch.flags(kvCacheType))" : "fits with \(KVCacheSearch.flags(kvCacheType))"
        return "\(head): \(placement), \(ProfileText.bytes(memoryTotalBytes)), \(speed); \(quality)"
            + (llamaServer.map { ": \($0)" } ?? "")
    }
}

extension FitEngine {
    /// `f16`, the fit of `request` with llama.cpp's default cache, turned into the answer when
    /// the cache type is canrun's to choose (`KVCacheSearch`).
    func searchKVCache(
        _ f16: FitReport,
        _ request: Request,
        devices: Devices,
        inventory: TensorInventory?
    ) throws -> FitReport {
        // A cache can change the answer only where part of the model waits in RAM or nothing fits.
        let partly: Set<PlacementMode> = [.moeExpertsOnCPU, .partialOffload]
        guard request.flashAttention, request.kvType.lowercased() == "f16", f16.placement.mode != .none,
            !f16.fits || partly.contains(f16.placement.mode)
        else { return f16 }
        func fit(_ kvType: String, probe: Bool = false) throws -> FitReport {
            var other = request
            other.kvType = kvType
            other.choosesKVType = false
            // A probe's maximum context no answer shows: the search for it is skipped.
            other.searchesMaxContext = !probe
            return try fitAsAsked(other, devices: devices, inventory: inventory)
        }
        if f16.fits {
            let eight = try fit("q8_0", probe: true)
            guard eight.fits, let slow = f16.decodeTokensPerS, let fast = eight.decodeTokensPerS,
                fast >= KVCacheSearch.fasterBy * slow
            else { return f16 }
            var answer = f16
            answer.alternativeLaunch = AlternativeLaunch(.faster, eight)
            return answer
        }
        // Weights and compute alone past all the machine's memory: no cache type can help (the
        // recommendation table asks this of every rung too big for the machine).
        let ceiling = Double(memoryCeiling(devices) ?? .max)
        let rest = Double(f16.memory.weightsBytes + f16.memory.computeBufferBytes)
        func mightFit(_ kvType: String) -> Bool {
            guard let type = quants.type(named: kvType.uppercased()) else { return true }
            let share = Double(type.bytesPerBlock) / Double(type.blockSize) / 2
            return rest + Double(f16.memory.kvCacheBytes) * share <= ceiling
        }
        if mightFit("q8_0") {
            var answer = try fit("q8_0")
            if answer.fits {
                answer.reasons.insert(
                    "an f16 KV cache (\(ProfileText.bytes(f16.memory.kvCacheBytes)), llama.cpp's default) does not fit; "
                        + "\(KVCacheSearch.flags("q8_0")) halves it to \(ProfileText.bytes(answer.memory.kvCacheBytes)) "
                        + "and fits: \(KVCacheSearch.qualityWords("q8_0"))",
                    at: 0
                )
                return answer
            }
        }
        guard mightFit("q4_0") else { return f16 }
        let four = try fit("q4_0", probe: true)
        guard four.fits else { return f16 }
        var answer = f16
        answer.alternativeLaunch = AlternativeLaunch(.fits, four)
        answer.reasons.append(
            "nor does an 8-bit KV cache; a 4-bit one (--kv q4_0, KV \(ProfileText.bytes(four.memory.kvCacheBytes))) "
                + "would fit, but \(KVCacheSearch.qualityWords("q4_0"))"
        )
        return answer
    }
}
