// canrund under load, on this machine: start-to-READY, idle RSS, and p50/p99 latency and
// requests/s of /v1/fit and /v1/recommendations with many keep-alive clients over the socket.
//   swift build -c release --product canrund && swift build -c release --product DaemonLoad &&
//   .build/release/DaemonLoad [clients] [seconds]
// (SwiftPM builds only the last of several --product options: build them one by one.)
// Targets (issue 6, 2-core machine): /v1/fit p99 < 2 ms at 64 clients, >= 10,000 requests/s,
// idle RSS < 40 MB, READY < 300 ms with a cached benchmark.
import Foundation
import NIOCore
import NIOPosix

let clients = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 64
let seconds = CommandLine.arguments.dropFirst(2).first.flatMap { Double($0) } ?? 5
let daemon = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
    "canrund"
)
let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
    "canrund-load-\(UUID().uuidString.prefix(8))"
)
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let socketPath = folder.appendingPathComponent("canrun.sock").path
let notifyPath = folder.appendingPathComponent("notify").path

/// A datagram socket standing in for systemd's NOTIFY_SOCKET.
func notifySocket() -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(notifyPath.utf8)) }
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    return fd
}

/// CPU seconds (user + system) the process has used.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3, utime 14 and stime 15 (proc(5)).
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func rssKiB(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
    return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
}

let notify = notifySocket()
let process = Process()
process.executableURL = daemon
process.arguments = ["--socket", socketPath]
var environment = ProcessInfo.processInfo.environment
environment["NOTIFY_SOCKET"] = notifyPath
process.environment = environment
process.standardError = FileHandle.nullDevice
let launched = Date()
try process.run()
var buffer = [UInt8](repeating: 0, count: 256)
var ready: Double?
while ready == nil {
    let n = recv(notify, &buffer, buffer.count, 0)
    if n > 0, String(decoding: buffer.prefix(n), as: UTF8.self).hasPrefix("READY=1") {
        ready = Date().timeIntervalSince(launched)
    }
}
try await Task.sleep(for: .milliseconds(500))
let idleRSS = rssKiB(process.processIdentifier)

/// One client connection: sends the next request as soon as the previous answer has ended
/// (closed loop, keep-alive), on its event loop, until the deadline; then hands back latencies.
/// It writes prepared request bytes and frames answers by their Content-Length alone, so the
/// load generator takes as little of the two cores it shares with canrund as it can (a full HTTP
/// client codec cost 16 µs a request, as much as canrund's answer).
final class LoadClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct BadAnswer: Error, CustomStringConvertible {
        var description: String
    }

    private let request: ByteBuffer
    private let deadline: NIODeadline
    private let done: EventLoopPromise<[Double]>
    private var sent = NIODeadline.now()
    private var latencies: [Double] = []
    /// Bytes of the current answer received so far, and its whole length once its head is in.
    private var pending = ByteBuffer()
    private var expected: Int?

    init(target: String, deadline: NIODeadline, done: EventLoopPromise<[Double]>) {
        request = ByteBuffer(string: "GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.deadline = deadline
        self.done = done
        latencies.reserveCapacity(100_000)
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
    }

    private func send(_ context: ChannelHandlerContext) {
        sent = .now()
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    /// The answer's length (head and body) once its head is complete; throws on anything but a
    /// 200 with a Content-Length. A byte scan: this runs once per request.
    private static func answerLength(_ buffer: ByteBuffer) throws -> Int? {
        try buffer.withUnsafeReadableBytes { raw -> Int? in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let headEnd = Self.headEnd(bytes) else { return nil }
            let status = bytes.count > 12 ? Array(bytes[9..<12]) : []
            guard status == Array("200".utf8) else {
                let line = bytes.prefix { $0 != UInt8(ascii: "\r") }
                throw BadAnswer(description: "canrund answered \(String(decoding: line, as: UTF8.self))")
            }
            let name = Array("\ncontent-length:".utf8)
            var i = 0
            while i + name.count < headEnd {
                if (0..<name.count).allSatisfy({ bytes[i + $0] | 0x20 == name[$0] | 0x20 }) {
                    var j = i + name.count
                    var length = 0
                    while j < headEnd, bytes[j] == UInt8(ascii: " ") { j += 1 }
                    while j < headEnd, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[j]) {
                        length = length * 10 + Int(bytes[j] - UInt8(ascii: "0"))
                        j += 1
                    }
                    return headEnd + length
                }
                i += 1
            }
            throw BadAnswer(description: "canrund's answer has no Content-Length")
        }
    }

    /// The offset just past the head's blank line, nil while the head is incomplete.
    private static func headEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 3
        while i < bytes.count {
            if bytes[i] == 10, bytes[i - 1] == 13, bytes[i - 2] == 10, bytes[i - 3] == 13 { return i + 1 }
            i += 1
        }
        return nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if pending.readableBytes == 0 { pending = bytes } else { pending.writeBuffer(&bytes) }
        do {
            if expected == nil { expected = try Self.answerLength(pending) }
        } catch {
            errorCaught(context: context, error: error)
            return
        }
        guard let length = expected, pending.readableBytes >= length else { return }
        guard pending.readableBytes == length else {
            errorCaught(
                context: context,
                error: BadAnswer(description: "canrund sent \(pending.readableBytes - length) bytes past its answer")
            )
            return
        }
        pending = ByteBuffer()
        expected = nil
        let now = NIODeadline.now()
        latencies.append(Double((now - sent).nanoseconds) / 1e9)
        if now < deadline {
            send(context)
        } else {
            done.succeed(latencies)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closed by canrund before the deadline (a crash, a timeout): fail, never wait forever.
        // After the last answer the promise is already fulfilled, and this does nothing.
        done.fail(BadAnswer(description: "canrund closed the connection after \(latencies.count) answers"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }
}

/// `clients` connections asking `target` back to back for `seconds`: every latency, in seconds.
func load(_ target: String, clients: Int, seconds: Double) async throws -> [Double] {
    let group = MultiThreadedEventLoopGroup.singleton
    let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
    var results: [EventLoopFuture<[Double]>] = []
    for _ in 0..<clients {
        let loop = group.next()
        let done = loop.makePromise(of: [Double].self)
        _ = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        LoadClient(target: target, deadline: deadline, done: done)
                    )
                }
            }
            .connect(unixDomainSocketPath: socketPath).get()
        results.append(done.futureResult)
    }
    var all: [Double] = []
    for result in results { all += try await result.get() }
    return all
}

func report(_ name: String, _ latencies: [Double], seconds: Double, serverCPU: Double, clientCPU: Double) {
    let sorted = latencies.sorted()
    func q(_ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1e3
    }
    print(
        String(
            format:
                "%@: %d requests, %.0f requests/s, p50 %.2f ms, p99 %.2f ms (%d clients); canrund CPU %.0f µs per request; load generator CPU %.0f µs per request",
            name,
            sorted.count,
            Double(sorted.count) / seconds,
            q(0.5),
            q(0.99),
            clients,
            serverCPU / Double(max(1, sorted.count)) * 1e6,
            clientCPU / Double(max(1, sorted.count)) * 1e6
        )
    )
}

print(String(format: "start to READY=1: %.0f ms (target 300)", (ready ?? 0) * 1e3))
print("idle RSS: \(String(format: "%.1f", Double(idleRSS ?? 0) / 1024)) MiB (target 40 MB)")
let pid = process.processIdentifier
for (name, target) in [
    ("/v1/fit", "/v1/fit?model=llama-3.1-8b&quant=Q4_K_M&ctx=8192"),
    ("/v1/recommendations", "/v1/recommendations?ctx=8192"),
] {
    let serverCPU = cpuSeconds(pid)
    let clientCPU = cpuSeconds(getpid())
    let latencies = try await load(target, clients: clients, seconds: seconds)
    report(
        name,
        latencies,
        seconds: seconds,
        serverCPU: cpuSeconds(pid) - serverCPU,
        clientCPU: cpuSeconds(getpid()) - clientCPU
    )
}
print("RSS after load: \(String(format: "%.1f", Double(rssKiB(process.processIdentifier) ?? 0) / 1024)) MiB")
process.terminate()
process.waitUntilExit()
print("canrund exit status after SIGTERM: \(process.terminationStatus)")
