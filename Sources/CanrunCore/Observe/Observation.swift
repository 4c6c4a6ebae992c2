import Foundation

/// What canrund last saw of one server it watches (`GET /v1/observations`): each loaded model
/// with its observed speeds beside canrun's prediction for it on this machine, or why the server
/// could not be read.
public struct ServerObservations: Codable, Sendable, Equatable {
    /// The `server` label (`[[observe]] name`).
    public var server: String
    public var kind: ObserveTarget.Kind
    /// `http://127.0.0.1:8080`, `unix:/run/ollama.sock`.
    public var endpoint: String
    /// When the last poll was made.
    public var polledAt: Date
    /// Why the last poll read nothing (not running, refused, not that kind of server); the
    /// models of the poll before are kept.
    public var problem: String?
    public var models: [Observation]

    public init(
        server: String,
        kind: ObserveTarget.Kind,
        endpoint: String,
        polledAt: Date,
        problem: String? = nil,
        models: [Observation] = []
    ) {
        self.server = server
        self.kind = kind
        self.endpoint = endpoint
        self.polledAt = polledAt
        self.problem = problem
        self.models = models
    }
}

/// One model a server has loaded: what it reports and was measured doing, and what canrun
/// predicts for it here.
public struct Observation: Codable, Sendable, Equatable {
    /// The server's name for it (a GGUF path, `llama3.1:8b`, a Hugging Face repository).
    public var model: String
    /// The catalog model or file canrun answered it as, nil when canrun cannot.
    public var answeredAs: String?
    public var quant: String?
    public var contextTokens: Int?
    /// Tokens per second over the polls in which it generated or read a prompt (one sequence's
    /// pace: the server's own time accounting), and when that was.
    public var observedDecodeTokensPerS: Double?
    public var observedPrefillTokensPerS: Double?
    public var observedAt: Date?
    /// canrun's answer for this model, quantization and context on this machine (decode at an
    /// empty context; prefill of a 512-token prompt).
    public var predictedDecodeTokensPerS: Double?
    public var predictedPrefillTokensPerS: Double?
    /// Observed ÷ predicted.
    public var decodeRatio: Double?
    public var prefillRatio: Double?
    /// Memory the server says the model holds, and canrun's total for it.
    public var observedMemoryBytes: Int64?
    public var predictedMemoryBytes: Int64?
    /// Why there is no prediction (a model canrun does not know, a file it cannot read, a
    /// runtime it does not model).
    public var note: String?

    public init(model: String) { self.model = model }

    /// The ratios of what is known.
    public mutating func compare() {
        decodeRatio = Self.ratio(observedDecodeTokensPerS, predictedDecodeTokensPerS)
        prefillRatio = Self.ratio(observedPrefillTokensPerS, predictedPrefillTokensPerS)
    }

    static func ratio(_ observed: Double?, _ predicted: Double?) -> Double? {
        guard let observed, let predicted, predicted > 0 else { return nil }
        return (observed / predicted * 1000).rounded() / 1000
    }
}

/// Tokens per second from two readings of a server's cumulative counters.
public enum ObservedRates {
    /// At least this many new tokens make a rate: fewer say more about timer resolution than
    /// speed.
    public static let minimumTokens = 4.0

    /// Δtokens ÷ Δseconds between `before` and `now`; nil when too few tokens came, no time
    /// was counted, or a counter went back (the server restarted).
    public static func rate(
        tokens before: Double?,
        _ now: Double?,
        seconds secondsBefore: Double?,
        _ secondsNow: Double?
    ) -> Double? {
        guard let before, let now, let secondsBefore, let secondsNow else { return nil }
        let tokens = now - before
        let seconds = secondsNow - secondsBefore
        guard tokens >= minimumTokens, seconds > 0, tokens.isFinite, seconds.isFinite else { return nil }
        return (tokens / seconds * 100).rounded() / 100
    }

    /// `before`'s counters to `now`'s: decode and prefill rates, each nil where nothing new ran.
    public static func between(
        _ before: ServerReading.TokenCounters,
        _ now: ServerReading.TokenCounters
    ) -> (decode: Double?, prefill: Double?) {
        (
            rate(
                tokens: before.generatedTokens,
                now.generatedTokens,
                seconds: before.generatedSeconds,
                now.generatedSeconds
            ),
            rate(tokens: before.promptTokens, now.promptTokens, seconds: before.promptSeconds, now.promptSeconds)
        )
    }
}
