/// Decode time per token for llama.cpp-family runtimes:
///
///     t = Σ over devices (bytes the device reads per token ÷ (its bandwidth × η)) + layers × τ
///
/// `η` (how much of the bandwidth the kernels reach) and `τ` (fixed cost per layer and token:
/// kernel launches, synchronisation, the compute a memory-bound kernel still has to do) are
/// fitted per backend on measured speeds (`Benchmarks/SpeedCalibration` prints the fit and its
/// residuals; the values live in `config/efficiency.toml` with the calibration they came from).
public struct DecodeSpeedModel: Sendable, Equatable, Codable {
    public struct Backend: Sendable, Equatable, Codable {
        /// Fraction of the memory bandwidth decode kernels reach.
        public var eta: Double
        /// Seconds per layer and token that do not shrink with bandwidth. On the CPU it is the
        /// threads' synchronisation (llama.cpp's barrier after every operation), paid only when
        /// more than one thread works.
        public var tauSecondsPerLayer: Double
        /// Weights a GPU's decode kernels dequantise and multiply per FP32 FLOP of its shader
        /// units (`GPUPeaks.fp32FlopsPerS`): their arithmetic adds `weights ÷ (FP32 × κ)` to a
        /// token, which matters where clocks are low against the memory (A100, P40); nil: not
        /// fitted, no arithmetic term.
        public var weightsPerFP32Flop: Double?
        /// The share of the memory's theoretical peak (channels × MT/s × 8 bytes) a streaming read
        /// sustains, 0 to 1: η is against a measured read rate, so where canrun only knows the peak
        /// (a preset, SMBIOS without a measurement) the stream runs at peak × this × η. CPU only;
        /// nil: the peak counts as measured.
        public var peakReadShare: Double?
        /// Where the values came from (calibration rows, residuals).
        public var source: String

        public init(
            eta: Double,
            tauSecondsPerLayer: Double,
            weightsPerFP32Flop: Double? = nil,
            peakReadShare: Double? = nil,
            source: String
        ) {
            self.eta = eta
            self.tauSecondsPerLayer = tauSecondsPerLayer
            self.weightsPerFP32Flop = weightsPerFP32Flop
            self.peakReadShare = peakReadShare
            self.source = source
        }
    }

    public var backends: [String: Backend]

    public init(backends: [String: Backend]) { self.backends = backends }

    /// Seconds per token for `bytes` read at `bandwidth` bytes/s over `layers` layers.
    public func secondsPerToken(bytes: Double, bandwidth: Double, layers: Int, backend: String) -> Double? {
        guard let b = backends[backend], bandwidth > 0, b.eta > 0 else { return nil }
        return bytes / (bandwidth * b.eta) + Double(layers) * b.tauSecondsPerLayer
    }

    /// One measured decode speed to fit against.
    public struct Observation: Sendable, Equatable {
        public var bytesPerToken: Double
        public var bandwidth: Double
        public var layers: Int
        public var seconds: Double

        public init(bytesPerToken: Double, bandwidth: Double, layers: Int, seconds: Double) {
            self.bytesPerToken = bytesPerToken
            self.bandwidth = bandwidth
            self.layers = layers
            self.seconds = seconds
        }
    }

    /// Least-squares fit of `t = a·(bytes ÷ bandwidth) + τ·layers` on relative errors (each row
    /// weighted by 1 ÷ t, so fast and slow machines count alike); η = 1 ÷ a. `nil` with fewer than
    /// two observations or a degenerate system.
    public static func fit(_ rows: [Observation]) -> (eta: Double, tau: Double)? {
        guard rows.count >= 2 else { return nil }
        // Normal equations of min Σ ((a·x + τ·l − t) / t)².
        var sxx = 0.0
        var sxl = 0.0
        var sll = 0.0
        var sxt = 0.0
        var slt = 0.0
        for r in rows {
            let w = 1 / (r.seconds * r.seconds)
            let x = r.bytesPerToken / r.bandwidth
            let l = Double(r.layers)
            sxx += w * x * x
            sxl += w * x * l
            sll += w * l * l
            sxt += w * x * r.seconds
            slt += w * l * r.seconds
        }
        let det = sxx * sll - sxl * sxl
        guard abs(det) > 1e-30 else { return nil }
        let a = (sxt * sll - slt * sxl) / det
        let tau = (sxx * slt - sxl * sxt) / det
        guard a > 0 else { return nil }
        // A negative fixed cost is noise around zero: refit with τ = 0.
        if tau < 0 { return (1 / (sxt / sxx), 0) }
        return (1 / a, tau)
    }
}
