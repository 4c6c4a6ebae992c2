import CanrunCore

/// Fits prefill's η per GPU backend and kernel (`PrefillKernel`: `cuda.mmq`, `rocm.dp4a`, …)
/// on the calibration runs' prompt results (any length, any depth: attention's FLOPs grow with
/// both), against the peak of the unit each kernel uses, together with one number for MoE
/// models: the tokens per expert at which expert multiplications run at half their dense
/// efficiency (`PrefillSpeedModel.expertHalfBatchTokens`). It measures the fit
/// leave-one-source-out.
///
/// A run counts when canrun places its prompt on GPUs of one backend running one kernel, with
/// no weights copied from RAM: then seconds per token are `PrefillCost.Share.seconds` summed over
/// the GPUs, linear in 1/η, 1/η_attention and 1/κ at a given expert term and clock, which is what
/// the least squares solves (`PrefillFitTests` checks that the two agree).
public struct PrefillFit: Sendable {
    public struct Observation: Sendable {
        public var run: CalibrationRun
        /// `backend.kernel`.
        public var key: String
        public var backend: String
        /// Whether the run used flash attention, so measures its attention η.
        public var flash: Bool
        /// Σ over the GPUs of their share of the FLOPs ÷ their kernel's peak, per FLOP.
        var secondsPerFlop: Double
        /// The same against each GPU's attention unit (`PrefillKernel.attentionPeak`); nil when
        /// a GPU's is unknown.
        var attentionSecondsPerFlop: Double?
        /// Σ share ÷ FP32 peak: the shader cores' seconds per FLOP; nil when unknown.
        var shaderSecondsPerFlop: Double?
        /// How the kernel unpacks the weights (`PrefillKernel.unpacking`); nil: it does not (float
        /// weights), and the shader term has no work.
        var unpacking: PrefillKernel.Unpacking?
        /// Seconds per token that attention's scores take in memory without flash attention, and
        /// BLAS's conversion of quantized weights (`PrefillWork.attentionBytes`, `convertedBytes`,
        /// at the decode η): known, not fitted.
        var memorySeconds: Double
        /// The GPUs' architecture and board watts per FP32 TFLOP/s, for the power term; nil
        /// where the board power or FP32 rate is unknown.
        public var architecture: String?
        var wattsPerFP32Teraflop: Double?
        var terms: PrefillTerms
        public var measuredSeconds: Double { 1 / run.tokensPerS }

        /// Seconds per token at η = 1 of the weights' kernel with the expert term `half`, and of
        /// attention on its own unit (0 where attention runs on the kernel: then it is in the
        /// first figure).
        func peakSeconds(half: Double?, ownAttention: Bool) -> (weights: Double, attention: Double) {
            let work = terms.work(half: half)
            let attention = min(work.attentionFlops, work.gpuFlops)
            guard ownAttention, let perFlop = attentionSecondsPerFlop else {
                return (secondsPerFlop * work.gpuFlops, 0)
            }
            return (secondsPerFlop * (work.gpuFlops - attention), perFlop * attention)
        }

        /// Seconds per token at one weight per shader FLOP: the weights unpacked on the shader
        /// cores, in the kernel's tiles (experts weighed as their matrix work is) or once per
        /// micro-batch by a conversion kernel (`PrefillCost.Share.seconds`).
        func shaderSeconds(half: Double?) -> Double {
            guard let unpacking else { return 0 }
            let work = terms.work(half: half)
            let weights =
                unpacking == .inTiles
                ? (work.gpuFlops - min(work.attentionFlops, work.gpuFlops)) / 2 : work.convertedWeights
            return weights * (shaderSecondsPerFlop ?? 0)
        }

        /// The clock share the board's power holds with `sustained` watts per FP32 TFLOP/s for
        /// its architecture (`PrefillSpeedModel.clockFraction`).
        func clock(_ sustained: [String: Double]) -> Double {
            guard let architecture, let watts = sustained[architecture], let mine = wattsPerFP32Teraflop else {
                return 1
            }
            return min(1, mine / watts)
        }
    }

    public struct Parameters: Sendable {
        /// η per `backend.kernel`, with the runs and sources behind each.
        public var eta: [String: (eta: Double, runs: Int, sources: Int)]
        /// Attention's η per backend against its unit, with flash attention; a backend without
        /// one runs attention at its kernels' η.
        public var attentionEta: [String: Double]
        /// Weights dequantised per shader (FP32) FLOP per `backend.kernel`; none: free.
        public var weightsPerShaderFlop: [String: Double]
        /// Board watts per FP32 TFLOP/s below which an architecture's clock drops.
        public var sustainedWattsPerFP32Teraflop: [String: Double]
        public var expertHalfBatchTokens: Double?

        /// Tokens per second these parameters predict for `o`; nil without its kernel's η.
        public func predict(_ o: Observation) -> Double? {
            guard let eta = self.eta[o.key]?.eta else { return nil }
            let attentionEta = o.flash ? self.attentionEta[o.backend] : nil
            let (weights, attention) = o.peakSeconds(half: expertHalfBatchTokens, ownAttention: attentionEta != nil)
            let shader = weightsPerShaderFlop[o.key].map { o.shaderSeconds(half: expertHalfBatchTokens) / $0 } ?? 0
            let compute = weights / eta + (attentionEta.map { attention / $0 } ?? 0) + shader
            return 1 / (compute / o.clock(sustainedWattsPerFP32Teraflop) + o.memorySeconds)
        }
    }

    public var observations: [Observation] = []

    public init(_ runs: [CalibrationRun], engine: FitEngine, machines: CalibrationMachines, models: CalibrationModels) {
        for run in runs where run.isPrefill {
            guard
                let (request, machine) = try? CalibrationCheck.question(
                    run,
                    engine: engine,
                    machines: machines,
                    models: models
                ),
                let terms = try? engine.prefillCost(
                    request,
                    machine: machine,
                    promptTokens: run.promptTokens,
                    depth: run.depth
                )
            else { continue }
            let shares = terms.cost.shares
            guard terms.cost.offload == nil, let first = shares.first, let kernel = first.kernel,
                let backend = first.backend,
                shares.allSatisfy({ $0.kernel == kernel && $0.backend == backend && ($0.peakFlopsPerS ?? 0) > 0 })
            else { continue }
            let gpus = shares.map { share -> GPUFacts? in
                guard case .gpu(let i) = share.device, let g = machine.gpus, g.indices.contains(i) else { return nil }
                return g[i]
            }
            func sum(_ rate: (PrefillCost.Share, GPUFacts?) -> Double?) -> Double? {
                let rates = zip(shares, gpus).map { rate($0.0, $0.1) }
                guard rates.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
                return zip(shares, rates).reduce(0.0) { $0 + $1.0.fraction / $1.1! }
            }
            let fp32 = gpus.first??.peaks?.fp32FlopsPerS
            let power = gpus.first??.peaks?.boardPowerW
            observations.append(
                Observation(
                    run: run,
                    key: "\(backend).\(kernel.rawValue)",
                    backend: backend,
                    flash: run.flashAttention,
                    secondsPerFlop: sum { share, _ in share.peakFlopsPerS }!,
                    attentionSecondsPerFlop: sum { share, _ in share.attentionPeakFlopsPerS },
                    shaderSecondsPerFlop: sum { _, gpu in gpu?.peaks?.fp32FlopsPerS },
                    unpacking: first.unpacking,
                    memorySeconds: shares.reduce(0.0) { sum, share in
                        let bytes =
                            terms.plain.attentionBytes
                            + (share.unpacking == .perMicroBatch ? terms.plain.convertedBytes : 0)
                        let stream = share.streamBytesPerS ?? 0
                        return sum + (stream > 0 ? share.fraction * bytes / stream : 0)
                    },
                    architecture: gpus.first??.architecture,
                    wattsPerFP32Teraflop: fp32.flatMap { f in power.map { $0 / (f / 1e12) } },
                    terms: terms
                )
            )
        }
    }

    /// The candidates for the expert term: none, and 2 to 1,024 tokens in steps of √2.
    static let halfBatchCandidates: [Double?] = {
        var out: [Double?] = [nil]
        var tokens = 2.0
        while tokens <= 1024 {
            out.append(tokens)
            tokens *= 2.0.squareRoot()
        }
        return out
    }()

    /// The candidates for an architecture's sustained watts per FP32 TFLOP/s: none (its boards
    /// hold their clocks), and 1 to 20 W in steps of 5 %.
    static let sustainedCandidates: [Double?] = {
        var out: [Double?] = [nil]
        var watts = 1.0
        while watts <= 20 {
            out.append(watts)
            watts *= 1.05
        }
        return out
    }()

    /// The parameters that fit `observations` best: for the expert term and the architectures'
    /// sustained power (searched on grids, one architecture at a time, where the runs hold boards
    /// of that architecture at several watts per FP32 TFLOP/s from several sources), 1/η per
    /// `backend.kernel`, per backend's flash attention and per kernel's shader work by least
    /// squares on relative errors (each kept non-negative; a backend whose attention comes out
    /// free runs attention at its kernels' η instead).
    public static func fit(_ all: [Observation]) -> Parameters {
        // A run whose known memory terms alone exceed its measured time says nothing about the
        // compute terms (and its target, 1 − memory ÷ measured, would pull them below zero).
        let observations = all.filter { $0.memorySeconds < $0.measuredSeconds }
        var best: (error: Double, parameters: Parameters)?
        for half in halfBatchCandidates {
            if let solved = solve(observations, half: half, sustained: [:]), best == nil || solved.error < best!.error {
                best = solved
            }
        }
        guard var current = best else {
            return Parameters(
                eta: [:],
                attentionEta: [:],
                weightsPerShaderFlop: [:],
                sustainedWattsPerFP32Teraflop: [:],
                expertHalfBatchTokens: nil
            )
        }
        let searchable = Set(observations.compactMap(\.architecture)).sorted().filter { architecture in
            let mine = observations.filter { $0.architecture == architecture && $0.wattsPerFP32Teraflop != nil }
            let watts = mine.compactMap(\.wattsPerFP32Teraflop)
            return Set(mine.map(\.run.sourceID)).count >= 2 && Set(watts.map { ($0 * 10).rounded() }).count >= 3
                && (watts.max() ?? 0) >= 1.5 * (watts.min() ?? .infinity)
        }
        for _ in 0..<2 {
            for architecture in searchable {
                for watts in sustainedCandidates {
                    var sustained = current.parameters.sustainedWattsPerFP32Teraflop
                    sustained[architecture] = watts
                    if let solved = solve(
                        observations,
                        half: current.parameters.expertHalfBatchTokens,
                        sustained: sustained
                    ), solved.error < current.error {
                        current = solved
                    }
                }
            }
        }
        return current.parameters
    }

    /// The least-squares fit at one expert term and one set of sustained powers, with its sum of
    /// squared relative errors; nil when the system is singular.
    static func solve(
        _ observations: [Observation],
        half: Double?,
        sustained: [String: Double]
    )
        -> (error: Double, parameters: Parameters)?
    {
        var own = Set(observations.filter { $0.flash && $0.attentionSecondsPerFlop != nil }.map(\.backend))
        let kernels = Set(observations.map(\.key)).sorted()
        // A shader term needs runs that unpack weights from several sources, on GPUs of unlike
        // shader-to-matrix ratios, to be told from the kernel's η.
        let shaded = Set(
            kernels.filter { key in
                Set(
                    observations.filter { $0.key == key && $0.unpacking != nil && $0.shaderSecondsPerFlop != nil }.map(
                        \.run.sourceID
                    )
                ).count >= 3
            }
        )
        let targets = observations.map { 1 - $0.memorySeconds / $0.measuredSeconds }
        while true {
            let backends = own.sorted()
            let width = 2 * kernels.count + backends.count
            let rows = observations.map { o -> [Double] in
                var row = Array(repeating: 0.0, count: width)
                let ownAttention = o.flash && own.contains(o.backend)
                let scale = 1 / (o.clock(sustained) * o.measuredSeconds)
                let (weights, attention) = o.peakSeconds(half: half, ownAttention: ownAttention)
                let k = kernels.firstIndex(of: o.key)!
                row[k] = weights * scale
                if ownAttention, let b = backends.firstIndex(of: o.backend) {
                    row[kernels.count + b] = attention * scale
                }
                if shaded.contains(o.key) {
                    row[kernels.count + backends.count + k] = o.shaderSeconds(half: half) * scale
                }
                return row
            }
            guard let c = LeastSquares.nonNegative(rows, targets) else { return nil }
            let free = backends.enumerated().filter { c[kernels.count + $0.offset] <= 0 }.map(\.element)
            guard free.isEmpty else {
                own.subtract(free)
                continue
            }
            var eta: [String: (Double, Int, Int)] = [:]
            var shader: [String: Double] = [:]
            for (k, key) in kernels.enumerated() {
                let mine = observations.filter { $0.key == key }
                if c[k] > 0 { eta[key] = (1 / c[k], mine.count, Set(mine.map(\.run.sourceID)).count) }
                let s = c[kernels.count + backends.count + k]
                if s > 0 { shader[key] = 1 / s }
            }
            var attention: [String: Double] = [:]
            for (b, backend) in backends.enumerated() { attention[backend] = 1 / c[kernels.count + b] }
            let error = zip(rows, targets).reduce(0.0) { sum, pair in
                let predicted = zip(pair.0, c).reduce(0.0) { $0 + $1.0 * $1.1 }
                return sum + (predicted - pair.1) * (predicted - pair.1)
            }
            return (
                error,
                Parameters(
                    eta: eta,
                    attentionEta: attention,
                    weightsPerShaderFlop: shader,
                    sustainedWattsPerFP32Teraflop: sustained,
                    expertHalfBatchTokens: half
                )
            )
        }
    }

    /// Each observation with its prediction from a fit on every other source's runs (none when
    /// its kernel has no run elsewhere).
    public func leaveOneSourceOut() -> [(Observation, Double)] {
        var out: [(Observation, Double)] = []
        for source in Set(observations.map(\.run.sourceID)).sorted() {
            let parameters = Self.fit(observations.filter { $0.run.sourceID != source })
            for o in observations where o.run.sourceID == source {
                if let predicted = parameters.predict(o) { out.append((o, predicted)) }
            }
        }
        return out
    }
}
