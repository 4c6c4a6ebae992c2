import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The command line's way to the daemon: one blocking HTTP/1.1 request over the Unix socket.
/// Nil whenever the daemon does not answer properly (no socket, refused, timed out, garbled), so
/// the caller computes in-process instead.
public struct DaemonClient: Sendable {
    public var path: String
    public var timeoutSeconds: Int

    public init(path: String, timeoutSeconds: Int = 5) {
        self.path = path
        self.timeoutSeconds = timeoutSeconds
    }

    /// An HTTP status and the body that came with it.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]

        public init(status: Int, body: [UInt8]) {
            self.status = status
            self.body = body
        }

        /// A refusal's `{"error": {"message", "hint"}}` as "message (hint)", else the status
        /// and the body as text.
        public var errorText: String {
            struct Envelope: Decodable {
                struct Body: Decodable {
                    var message: String
                    var hint: String?
                }
                var error: Body
            }
            guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body)) else {
                return "HTTP \(status): \(String(decoding: body.prefix(1024), as: UTF8.self))"
            }
            return envelope.error.message + (envelope.error.hint.map { " (\($0))" } ?? "")
        }
    }

    public func get(_ target: String) -> Answer? { request("GET", target) }

    /// One request (`GET`, or `POST` for the admin routes and posted configs) with `body`.
    public func request(_ method: String, _ target: String, body: [UInt8] = []) -> Answer? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard UnixSocketAddress.with(path, { connect(fd, $0, $1) }) == 0 else { return nil }
        let head =
            "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { return nil }
            if n == 0 { break }
            response += buffer.prefix(n)
            // Answers are bounded (the whole recommendation table is a few hundred KiB).
            if response.count > 64 << 20 { return nil }
        }
        return Self.parse(response)
    }

    /// Status and body of a complete `Connection: close` response; nil when it is not one.
    public static func parse(_ response: [UInt8]) -> Answer? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else { return nil }
        let head = String(decoding: response[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let status = lines.first.map { $0.split(separator: " ") }
        guard let status, status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]) else {
            return nil
        }
        let body = Array(response[(end + separator.count)...])
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                guard let length = Int(parts[1].trimmingCharacters(in: .whitespaces)), length == body.count else {
                    return nil
                }
            }
        }
        return Answer(status: code, body: body)
    }
}
