import CanrunCore
import NIOHTTP1

/// An answer that is not the resource asked for: an HTTP status and the structured body of
/// DESIGN §5.2, `{"error": {"code": …, "message": …, "hint": …}}`.
public struct APIError: Error, Equatable, Sendable, Encodable {
    /// 400, 403, 404, 405, 413, 500, 503, …
    public var status: HTTPResponseStatus
    /// A stable snake_case code scripts can branch on (`unknown_model`, `bad_request`, …).
    public var code: String
    /// What was wrong, in words.
    public var message: String
    /// What to do about it; nil when there is nothing to add.
    public var hint: String?

    public init(status: HTTPResponseStatus, code: String, message: String, hint: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
    }

    enum CodingKeys: String, CodingKey { case code, message, hint }

    /// An answer layer's refusal: 404 for an unknown model, 503 past the deadline, else 400.
    public init(_ error: AnswerError) {
        let status: HTTPResponseStatus =
            switch error.kind {
            case .notFound: .notFound
            case .badRequest: .badRequest
            case .deadlineExceeded: .serviceUnavailable
            }
        self.init(status: status, code: error.code, message: error.message, hint: error.hint)
    }

    public static func badRequest(_ message: String, hint: String? = nil) -> APIError {
        APIError(status: .badRequest, code: "bad_request", message: message, hint: hint)
    }

    public static func notFound(_ path: String) -> APIError {
        APIError(
            status: .notFound,
            code: "not_found",
            message: "no route \(path)",
            hint: "routes: /v1/health, /v1/machine, /v1/bandwidth, /v1/models, /v1/models/{id}, /v1/fit, "
                + "/v1/recommendations, /metrics"
        )
    }

    public static func methodNotAllowed(_ method: HTTPMethod, _ path: String, allowed: [HTTPMethod]) -> APIError {
        APIError(
            status: .methodNotAllowed,
            code: "method_not_allowed",
            message: "\(method.rawValue) is not allowed on \(path)",
            hint: "use \(allowed.map(\.rawValue).joined(separator: " or "))"
        )
    }

    public static func tooLarge(_ what: String, limit: Int) -> APIError {
        APIError(
            status: .payloadTooLarge,
            code: "too_large",
            message: "\(what) is larger than the limit of \(limit) bytes",
            hint: "send a smaller request (the limits are in canrun.toml)"
        )
    }

    public static func forbidden(_ path: String, uid: UInt32?) -> APIError {
        APIError(
            status: .forbidden,
            code: "forbidden",
            message: "\(path) is an admin route; uid \(uid.map(String.init) ?? "unknown") may not use it",
            hint: "run it as root or as the daemon's user (sudo canrun admin …)"
        )
    }
}
