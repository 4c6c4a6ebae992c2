import CanrunClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One client connection to canrund (its Unix socket or its loopback TCP listener), blocking,
/// kept alive across requests, with a send and receive timeout: what a script or a scraper
/// holds. For benchmarks that drive the daemon from many threads without an event loop.
public final class KeepAliveConnection {
    public enum Endpoint: Sendable {
        case unix(String)
        /// 127.0.0.1:port.
        case tcp(port: UInt16)
    }

    /// What became of one exchange: a status, or how the connection failed.
    public enum Result: Equatable, Sendable {
        case status(Int)
        case failure(String)
    }

    private let fd: Int32
    private var pending: [UInt8] = []

    /// Nil when the daemon cannot be reached.
    public init?(_ endpoint: Endpoint, timeoutSeconds: Int = 10) {
        let family = if case .unix = endpoint { AF_UNIX } else { AF_INET }
        fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        let connected: Int32?
        switch endpoint {
        case .unix(let path):
            connected = UnixSocketAddress.with(path) { connect(fd, $0, $1) }
        case .tcp(let port):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends raw bytes; false when the connection is gone.
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// One request and its answer's status, the connection kept alive.
    public func exchange(_ method: String, _ target: String, body: [UInt8] = []) -> Result {
        let head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.count)\r\n\r\n"
        guard send(Array(head.utf8) + body) else { return .failure("send failed") }
        return readResponse()
    }

    /// Reads one response: its head and its `Content-Length` body.
    public func readResponse() -> Result {
        let separator = Array("\r\n\r\n".utf8)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = Self.find(separator, in: pending) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if pending.count >= end + separator.count + length {
                    pending.removeFirst(end + separator.count + length)
                    let parts = head.split(separator: " ")
                    guard parts.count >= 2, let code = Int(parts[1]) else { return .failure("garbled answer") }
                    return .status(code)
                }
            }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return .failure(pending.isEmpty ? "closed by the daemon" : "closed mid-answer") }
            if n < 0 { return .failure(errno == EAGAIN ? "timed out" : "reset (errno \(errno))") }
            pending += buffer.prefix(n)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}
