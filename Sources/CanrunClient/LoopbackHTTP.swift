import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One blocking HTTP/1.1 GET to a server on this machine: a loopback TCP port or a Unix socket
/// (canrund watching llama-server, Ollama or vLLM). Answers are bounded in size and time, and
/// `Content-Length` and chunked bodies are both read.
public enum LoopbackHTTP {
    /// Why nothing usable came back.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The largest answer read: a vLLM `/metrics` with many models is a few hundred KiB.
    public static let maxResponseBytes = 8 << 20

    /// Where to connect: a TCP host (a loopback name or address) and port, or a socket path.
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    /// `GET path` at `address`: the body of a 2xx answer within `timeoutSeconds`.
    public static func get(_ address: Address, _ path: String, timeoutSeconds: Int = 5) throws(Failure) -> [UInt8] {
        try request(address, "GET", path, timeoutSeconds: timeoutSeconds)
    }

    /// `method path` with a JSON `body` at `address`: the body of a 2xx answer.
    public static func request(
        _ address: Address,
        _ method: String,
        _ path: String,
        body: [UInt8] = [],
        timeoutSeconds: Int = 5
    ) throws(Failure) -> [UInt8] {
        let fd: Int32
        switch address {
        case .unix(let socketPath):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Failure("no socket: \(String(cString: strerror(errno)))") }
            configure(fd, timeoutSeconds)
            guard UnixSocketAddress.with(socketPath, { connect(fd, $0, $1) }) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw Failure("cannot connect to \(socketPath): \(reason)")
            }
        case .tcp(let host, let port):
            fd = try connectTCP(host: host, port: port, timeoutSeconds: timeoutSeconds)
        }
        defer { close(fd) }
        let headers = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        let request =
            Array("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(headers)Connection: close\r\n\r\n".utf8) + body
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { throw Failure("the request could not be sent") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        // The socket's timeout bounds each read; this bounds the whole answer (a server
        // trickling a byte a second would otherwise hold the poll for ever).
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while true {
            guard ContinuousClock.now < deadline else {
                throw Failure("the answer took longer than \(timeoutSeconds) s")
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure("no answer within \(timeoutSeconds) s")
            }
            if n == 0 { break }
            response += buffer.prefix(n)
            guard response.count <= maxResponseBytes else {
                throw Failure("the answer is larger than \(maxResponseBytes >> 20) MiB")
            }
        }
        let (status, body) = try parse(response)
        guard (200..<300).contains(status) else {
            throw Failure("HTTP \(status) for \(path)")
        }
        return body
    }

    /// The status and body of a complete response (`Content-Length`, chunked, or to the end).
    public static func parse(_ response: [UInt8]) throws(Failure) -> (status: Int, body: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw Failure("the answer is not HTTP (no end of headers)")
        }
        let lines = String(decoding: response[..<end], as: UTF8.self).split(
            separator: "\r\n",
            omittingEmptySubsequences: false
        )
        let statusLine = lines.first.map { $0.split(separator: " ") } ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure("the answer is not HTTP (no status line)")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let raw = Array(response[(end + separator.count)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            return (status, try dechunked(raw))
        }
        if let text = headers["content-length"] {
            guard let length = Int(text), length >= 0, length <= raw.count else {
                throw Failure("the answer ended before its Content-Length")
            }
            return (status, Array(raw.prefix(length)))
        }
        return (status, raw)
    }

    /// A chunked body's data.
    static func dechunked(_ raw: [UInt8]) throws(Failure) -> [UInt8] {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = (index..<max(index, raw.count - 1)).first(where: { raw[$0] == 13 && raw[$0 + 1] == 10 })
            else { throw Failure("a chunked answer ended early") }
            let sizeText = String(decoding: raw[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw Failure("a chunk size is not hexadecimal")
            }
            index = lineEnd + 2
            if size == 0 { return body }
            guard size <= raw.count - index else { throw Failure("a chunked answer ended early") }
            body += raw[index..<(index + size)]
            index += size + 2
        }
    }

    private static func configure(_ fd: Int32, _ seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A connected TCP socket to `host:port`; the name is resolved numerically or as
    /// `localhost` only, so nothing leaves this machine.
    private static func connectTCP(host: String, port: Int, timeoutSeconds: Int) throws(Failure) -> Int32 {
        let candidates = host == "localhost" ? ["127.0.0.1", "::1"] : [host]
        var lastError = "no address"
        for numeric in candidates {
            var hints = addrinfo()
            hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(numeric, String(port), &hints, &result) == 0, let info = result else {
                lastError = "\(numeric) is not an address"
                continue
            }
            defer { freeaddrinfo(result) }
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { continue }
            configure(fd, timeoutSeconds)
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = "cannot connect to \(host):\(port): \(String(cString: strerror(errno)))"
            close(fd)
        }
        throw Failure(lastError)
    }
}
