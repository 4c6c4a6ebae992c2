/// Why a question has no answer, as both front ends report it: a stable code scripts branch on,
/// what was wrong and what to do. The daemon answers it with an HTTP status (`kind`), the CLI
/// with one line on stderr and exit status 2.
public struct AnswerError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The model asked for does not exist (HTTP 404).
        case notFound
        /// The question is malformed or impossible (HTTP 400).
        case badRequest
        /// The answer took longer than the request's deadline (HTTP 503).
        case deadlineExceeded
    }

    public var kind: Kind
    /// `unknown_model`, `unknown_quant`, `unknown_kv_type`, `impossible_context`, `invalid_model`,
    /// `bad_request`, `deadline_exceeded`.
    public var code: String
    public var message: String
    public var hint: String?

    public init(kind: Kind, code: String, message: String, hint: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.hint = hint
    }

    /// The message, and the hint after it.
    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
