/// A question about one model as both front ends take it (`canrun fit/check`, `GET /v1/fit`):
/// the quantization (nil: every rung of the ladder, or a GGUF file's own), the context (nil:
/// `FitEngine.Request.defaultContext`), the KV cache type (nil: canrun's choice, `KVCacheSearch`)
/// and flash attention.
public struct FitQuestion: Sendable, Hashable {
    public var quant: String?
    public var context: Int?
    public var kvType: String?
    public var flashAttention: Bool
    /// The GPU backend (nil: the GPUs' usual one) and the llama.cpp build (nil: current).
    public var gpuBackend: GPUBackend?
    public var llamaBuild: Int?
    /// llama.cpp's `-t` (nil: one thread per physical core).
    public var threads: Int?
    /// Without a quantization: the decode speed the choice aims for (`QuantChoice`; nil: reading
    /// speed), and whether quantizations that lose heavily may be the answer.
    public var minTokensPerSecond: Double?
    public var allowHeavyLoss: Bool
    /// The GGUF file the model came from (the launch line's `-m`); nil for a catalog model.
    public var modelFile: String? = nil
    /// Sequences llama-server serves at once (`--parallel`, `-np`).
    public var parallel: Int = 1

    public init(
        quant: String? = nil,
        context: Int? = nil,
        kvType: String? = nil,
        flashAttention: Bool = true,
        gpuBackend: GPUBackend? = nil,
        llamaBuild: Int? = nil,
        threads: Int? = nil,
        minTokensPerSecond: Double? = nil,
        allowHeavyLoss: Bool = false
    ) {
        self.quant = quant
        self.context = context
        self.kvType = kvType
        self.flashAttention = flashAttention
        self.gpuBackend = gpuBackend
        self.llamaBuild = llamaBuild
        self.threads = threads
        self.minTokensPerSecond = minTokensPerSecond
        self.allowHeavyLoss = allowHeavyLoss
    }

    /// The decode speed a choice of quantization aims for, tokens/s.
    public var speedGoal: Double { minTokensPerSecond ?? QuantChoice.defaultGoalTokensPerS }

    /// The context asked, or the default for `model`.
    public func context(for model: ModelSpec) -> Int { context ?? FitEngine.Request.defaultContext(model) }

    /// The engine's request for `quant` of `model`.
    public func request(_ model: ModelSpec, quant: String) -> FitEngine.Request {
        var request = FitEngine.Request(
            model: model,
            quant: quant,
            context: context(for: model),
            kvType: kvType ?? "f16",
            flashAttention: flashAttention,
            gpuBackend: gpuBackend,
            llamaBuild: llamaBuild,
            threads: threads
        )
        request.modelFile = modelFile
        request.parallel = parallel
        request.choosesKVType = kvType == nil
        return request
    }
}

/// The answer to a `FitQuestion`: one report when the quantization is known (asked, or a GGUF
/// file's own), else one per rung of the ladder (DESIGN §5.1).
public enum FitAnswer: Sendable, Equatable {
    case one(FitReport)
    case every(FitReports)

    /// The report a person reads first: the one, or the best of every rung.
    public var headline: FitReport? {
        switch self {
        case .one(let report): report
        case .every(let reports): reports.best
        }
    }
}

extension FitQuestion {
    /// This question at `quant` (an Ollama tag's, `ModelCatalog.impliedQuant`) unless another was
    /// asked.
    public func withImpliedQuant(_ quant: String?) -> FitQuestion {
        guard self.quant == nil, let quant else { return self }
        var question = self
        question.quant = quant
        return question
    }

    /// This question with `parallel` sequences.
    public func withParallel(_ parallel: Int) -> FitQuestion {
        var question = self
        question.parallel = parallel
        return question
    }
}
