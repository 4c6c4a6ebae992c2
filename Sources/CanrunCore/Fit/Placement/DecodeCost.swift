/// What one decoded token costs in a placement, as values: each device streams its bytes at its
/// rate × efficiency, or multiplies its weights in `computeSeconds` when its cores are slower
/// than its memory (the slower sets the pace); the devices run in turn, and every token also
/// pays a fixed cost per layer (τ) and the activation copies between devices.
package struct DecodeCost: Sendable, Equatable {
    package struct Share: Sendable, Equatable {
        package var device: Device
        /// Weight bytes the device reads per token.
        package var weightBytes: Int64
        /// The share of the KV cache read at a depth that this device holds, 0 to 1.
        package var kvFraction: Double
        package var bandwidthBytesPerS: Int64?
        package var efficiency: Double?
        /// Seconds the device's cores take to multiply its weights (0 when not bounded).
        package var computeSeconds: Double = 0
    }

    package var shares: [Share]
    /// Layers whose fixed cost a token pays.
    package var layers: Int
    package var perLayerSeconds: Double
    package var transfer: ActivationTransfer?

    /// Tokens per second when a token reads `kvBytes` of KV cache (`FitEngine.Parts.kvRead`);
    /// nil when a device that holds bytes has no rate or no efficiency.
    package func tokensPerSecond(kvBytes: Int64) -> Double? {
        var seconds = Double(layers) * perLayerSeconds + (transfer?.seconds ?? 0)
        for share in shares {
            let kv = share.kvFraction == 1 ? kvBytes : Int64(Double(kvBytes) * share.kvFraction)
            let bytes = share.weightBytes + kv
            guard bytes > 0 else { continue }
            guard let bw = share.bandwidthBytesPerS, bw > 0, let eta = share.efficiency, eta > 0 else { return nil }
            seconds += max(Double(bytes) / (Double(bw) * eta), share.computeSeconds)
        }
        return seconds > 0 ? 1 / seconds : nil
    }
}
