import CanrunCore
import Foundation
import NIOHTTP1

/// What the daemon sends back: a status, a content type and the body bytes.
public struct APIResponse: Equatable, Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]
    /// Seconds a refused client should wait before asking again (`Retry-After`); nil: no header.
    public var retryAfterSeconds: Int?

    public init(status: HTTPResponseStatus, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// `value` as the API's JSON (snake_case keys, as the CLI's `--json` prints it), newline-ended.
    public static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> APIResponse {
        do {
            var bytes = Array(try ProfileJSON.encoder().encode(value))
            bytes.append(UInt8(ascii: "\n"))
            return APIResponse(status: status, contentType: "application/json", body: bytes)
        } catch {
            return .error(
                .init(status: .internalServerError, code: "internal", message: "could not encode the answer: \(error)")
            )
        }
    }

    public static func error(_ error: APIError) -> APIResponse {
        struct Envelope: Encodable { var error: APIError }
        var bytes = Array((try? ProfileJSON.encoder().encode(Envelope(error: error))) ?? Data("{}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        return APIResponse(status: error.status, contentType: "application/json", body: bytes)
    }
}
