/// What one decoded token costs in a placement, as values: each device streams its bytes at its
/// rate × efficiency, or multiplies its weights in `computeSeconds` when its cores are slower
/// than its memory (the slower sets the pace); a GPU's kernels add their arithmetic on the FP32
/// units; the devices run in turn, and every token also pays a fixed cost per layer (τ) and the
/// activation copies between devices; a CPU's threads synchronise after every operation.
package struct DecodeCost: Sendable, Equatable {
    package struct Share: Sendable, Equatable {
        package var device: Device
        /// Weight bytes the device reads per token.
        package var weightBytes: Int64
        /// The share of the KV cache read at a depth that this device holds, 0 to 1.
        package var kvFraction: Double
        package var bandwidthBytesPerS: Int64?
        package var efficiency: Double?
        /// Seconds the device's cores take to multiply its weights (0 when not bounded); the CPU's
        /// cores multiply while memory streams, so the slower of the two sets the pace.
        package var computeSeconds: Double = 0
        /// Weights a GPU's decode kernels multiply per token, its FP32 rate and its backend's
        /// weights per FP32 FLOP (κ): their arithmetic adds to the stream (`arithmeticSeconds`).
        package var multipliedWeights: Int64 = 0
        package var fp32FlopsPerS: Double? = nil
        package var weightsPerFP32Flop: Double? = nil
        /// Seconds per token the device spends whatever its rates: the CPU threads' synchronisation
        /// over the layers it computes (`PlacementContext.cpuSyncSeconds`).
        package var fixedSeconds: Double = 0

        /// Bytes the device reads per token when a token reads `kvBytes` of KV cache in all.
        package func bytes(kvBytes: Int64) -> Int64 {
            weightBytes + (kvFraction == 1 ? kvBytes : Int64(Double(kvBytes) * kvFraction))
        }

        /// `multipliedWeights ÷ (FP32 × κ)`; 0 when either is unknown.
        package var arithmeticSeconds: Double {
            guard let flops = fp32FlopsPerS, flops > 0, let kappa = weightsPerFP32Flop, kappa > 0 else { return 0 }
            return Double(multipliedWeights) / (flops * kappa)
        }
    }

    package var shares: [Share]
    /// Layers whose fixed cost a token pays.
    package var layers: Int
    package var perLayerSeconds: Double
    package var transfer: ActivationTransfer?

    /// Tokens per second of each of `streams` sequences decoding together (llama-server's
    /// `--parallel`), each reading `kvBytes` of its own KV cache: one step reads the weights
    /// once and every stream's cache, multiplies the weights once per stream (the arithmetic and
    /// the CPU's compute scale with the streams), and pays the fixed costs once. The aggregate
    /// is `streams ×` this. Nil as `tokensPerSecond`.
    package func tokensPerSecond(streams: Int, kvBytes: Int64) -> Double? {
        guard streams > 1 else { return tokensPerSecond(kvBytes: kvBytes) }
        var batched = self
        batched.shares = shares.map { share in
            var s = share
            s.computeSeconds *= Double(streams)
            s.multipliedWeights *= Int64(streams)
            return s
        }
        return batched.tokensPerSecond(kvBytes: kvBytes * Int64(streams))
    }

    /// Tokens per second when a token reads `kvBytes` of KV cache (`FitEngine.Parts.kvRead`);
    /// nil when a device that holds bytes has no rate or no efficiency.
    package func tokensPerSecond(kvBytes: Int64) -> Double? {
        var seconds = Double(layers) * perLayerSeconds + (transfer?.seconds ?? 0)
        for share in shares {
            let bytes = share.bytes(kvBytes: kvBytes)
            guard bytes > 0 else { continue }
            guard let bw = share.bandwidthBytesPerS, bw > 0, let eta = share.efficiency, eta > 0 else { return nil }
            seconds +=
                max(Double(bytes) / (Double(bw) * eta), share.computeSeconds) + share.arithmeticSeconds
                + share.fixedSeconds
        }
        return seconds > 0 ? 1 / seconds : nil
    }
}
