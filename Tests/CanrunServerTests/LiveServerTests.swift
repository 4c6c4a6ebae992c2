import CanrunClient
import CanrunCore
import CanrunServer
import Foundation
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The server on a real Unix socket in a temporary folder, spoken to with raw bytes: routes,
/// keep-alive, bad and hostile requests, the connection cap, and the socket file removed after.
@Suite(.serialized)
struct LiveServerTests {
    /// The default limits with timeouts that outlast a saturated test run. With every suite in
    /// parallel on 2 cores, other suites' long synchronous work can hold the cooperative pool,
    /// where answers are computed and these tests wait, for tens of seconds; a 10 s request
    /// timeout then closes a connection a test is still waiting on (CI saw an empty /v1/fit).
    static func patient(
        maxConnections: Int = 256,
        maxConnectionsPerPeer: Int = 64,
        adminReservedConnections: Int = 16
    ) -> ServerLimits {
        ServerLimits(
            requestTimeoutSeconds: 600,
            idleTimeoutSeconds: 600,
            maxConnections: maxConnections,
            maxConnectionsPerPeer: maxConnectionsPerPeer,
            adminReservedConnections: adminReservedConnections,
            computeTimeoutSeconds: 500
        )
    }

    /// Runs `body` against a server bound at a fresh path, then stops it.
    static func withServer(
        limits: ServerLimits = patient(),
        _ body: (String) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "canrun-live-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/canrun.sock"
        let dispatcher = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: getuid(),
            limits: limits,
            rebenchmark: nil
        )
        let server = UnixHTTPServer(dispatcher: dispatcher)
        let bound = try await server.bind(.path(path))
        let task = Task { try await server.serve(bound) }
        try await body(path)
        task.cancel()
        _ = await task.result
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed on stop")
    }

    /// Sends `request` and reads until the server closes or `timeout` seconds pass, on a thread
    /// of its own: a blocking client on the cooperative pool would starve the server's tasks.
    static func exchange(
        _ path: String,
        _ request: [UInt8],
        timeout: Int = 600,
        halfClose: Bool = false
    ) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: blockingExchange(path, request, timeout: timeout, halfClose: halfClose))
            }
        }
    }

    /// - Parameter halfClose: shut the sending side after the request, as some clients do.
    static func blockingExchange(_ path: String, _ request: [UInt8], timeout: Int, halfClose: Bool) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        guard UnixSocketAddress.with(path, { connect(fd, $0, $1) }) == 0 else { return "" }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer.prefix(n)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func get(_ target: String, close: Bool = true) -> [UInt8] {
        Array("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\(close ? "Connection: close\r\n" : "")\r\n".utf8)
    }

    @Test func routesAnswerOverTheSocket() async throws {
        try await Self.withServer { path in
            let health = await Self.exchange(path, Self.get("/v1/health"))
            #expect(health.hasPrefix("HTTP/1.1 200 OK"))
            #expect(health.contains("\"benchmark\" : \"ready\""))
            let fit = await Self.exchange(path, Self.get("/v1/fit?model=llama-3.1-8b&quant=Q4_K_M"))
            #expect(fit.contains("\"verdict\""))
            let unknown = await Self.exchange(path, Self.get("/v1/fit?model=nope"))
            #expect(unknown.hasPrefix("HTTP/1.1 404"))
            #expect(unknown.contains("unknown_model"))
        }
    }

    /// The command line's client: the daemon's answer over the socket, nil where none comes.
    @Test func theCLIsClientGetsTheAnswer() async throws {
        try await Self.withServer { path in
            let answer = await Task.detached { DaemonClient(path: path).get("/v1/machine") }.value
            #expect(answer?.status == 200)
            let machine = try ProfileJSON.decoder().decode(MachineProfile.self, from: Data(answer?.body ?? []))
            #expect(machine.memory.totalBytes == 64 << 30)
            #expect(DaemonClient(path: path + ".absent").get("/v1/machine") == nil)
        }
    }

    /// Two requests on one connection: both answered, in order.
    @Test func keepAliveServesSeveralRequests() async throws {
        try await Self.withServer { path in
            let both = await Self.exchange(path, Self.get("/v1/health", close: false) + Self.get("/v1/models"))
            #expect(both.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        }
    }

    /// A client that half-closes after its request gets the answer and a close at once, not
    /// at the idle timeout; one that half-closes before asking anything is closed too.
    @Test func halfClosedClientsAreAnsweredAndClosed() async throws {
        try await Self.withServer { path in
            let started = Date()
            let answer = await Self.exchange(path, Self.get("/v1/health", close: false), halfClose: true)
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
            #expect(await Self.exchange(path, [], halfClose: true) == "")
            #expect(Date().timeIntervalSince(started) < 10)
        }
    }

    @Test func garbageIsA400AndAClose() async throws {
        try await Self.withServer { path in
            let answer = await Self.exchange(path, Array("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n".utf8))
            #expect(answer.hasPrefix("HTTP/1.1 400"))
            #expect(answer.contains("bad_request"))
        }
    }

    @Test func oversizedHeadersAre413() async throws {
        try await Self.withServer { path in
            let big = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Filler: \(String(repeating: "a", count: 40_000))\r\n\r\n"
            let answer = await Self.exchange(path, Array(big.utf8))
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("too_large"))
        }
    }

    /// A body declared over `max_body_bytes` is answered 413 at its head, and the connection
    /// closed: the daemon does not wait (until the request timeout) for bytes it would drop.
    @Test func aDeclaredOversizedBodyIs413AtOnce() async throws {
        try await Self.withServer { path in
            let client = try RawClient(unixPath: path)
            let started = Date()
            client.send("POST /v1/fit HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n{")
            let answer = client.readResponse()
            #expect(answer.hasPrefix("HTTP/1.1 413"))
            #expect(answer.contains("Content-Length 2097152"))
            #expect(answer.lowercased().contains("connection: close"))
            #expect(client.isClosedByServer())
            #expect(Date().timeIntervalSince(started) < 5)
        }
    }

    /// A client that sends half a request line and stops holds only its own connection: others
    /// are answered meanwhile. (Its request timeout is `ConnectionGuardTests`', on a clock the
    /// test moves.)
    @Test func aSlowClientDoesNotBlockOthers() async throws {
        try await Self.withServer { path in
            let slow = try RawClient(unixPath: path)
            slow.send("GET /v1/hea")
            let other = await Self.exchange(path, Self.get("/v1/health"))
            #expect(other.hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    /// Over the cap the daemon reads the request and answers 503 with Retry-After, then closes:
    /// the client reads the whole answer, never a reset.
    @Test func connectionsBeyondTheCapAre503WithRetryAfter() async throws {
        try await Self.withServer(limits: Self.patient(maxConnections: 1, adminReservedConnections: 0)) { path in
            let holder = try RawClient(unixPath: path)
            holder.send("GET /v1/he")
            try await Task.sleep(for: .milliseconds(200))
            let refused = await Self.exchange(path, Self.get("/v1/health"))
            #expect(refused.hasPrefix("HTTP/1.1 503"))
            #expect(refused.contains("Retry-After: 1\r\n"))
            #expect(refused.contains("too_many_connections"))
        }
    }
}

/// Admin routes over the real socket for a user who is neither root nor the daemon's: refused by
/// the kernel's peer credentials, not by anything the client says. Needs root to switch user
/// (`setpriv`, util-linux) and curl, as CI has.
@Suite(.serialized)
struct LiveAdminTests {
    static let tools = ["/usr/bin/setpriv", "/usr/bin/curl"]

    @Test(.enabled(if: getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }))
    func anotherUserGets403() async throws {
        try await LiveServerTests.withServer { path in
            chmod(path, 0o777)
            chmod((path as NSString).deletingLastPathComponent, 0o755)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = [
                "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "-o", "/dev/null",
                "-w", "%{http_code}", "-X", "POST", "--unix-socket", path, "http://localhost/v1/bandwidth",
            ]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            process.waitUntilExit()
            let status = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(status == "403", "got \(status)")
        }
    }
}
