import CanrunCore
import CanrunServer
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fair connection limits on real sockets. The loopback TCP listener's clients are one
/// peer without credentials (never admin), and this test process, root or the daemon's own
/// user over the Unix socket, is the admin: one user filling its share never locks the admin
/// out, and idle connections make room before anyone is refused.
@Suite(.serialized)
struct LiveConnectionLimitsTests {
    static func withServers(
        _ limits: ServerLimits,
        _ body: (_ unixPath: String, _ tcpPort: Int, _ server: UnixHTTPServer) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "canrun-limits-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dispatcher = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: getuid(),
            limits: limits,
            rebenchmark: nil
        )
        let server = UnixHTTPServer(dispatcher: dispatcher)
        let unix = try await server.bind(.path(folder + "/canrun.sock"))
        let tcp = try await server.bind(.tcp(host: "127.0.0.1", port: 0))
        let tasks = [Task { try await server.serve(unix) }, Task { try await server.serve(tcp) }]
        try await body(folder + "/canrun.sock", try #require(tcp.port), server)
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
    }

    static let health = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Waits until the server has read part of a request on `count` connections (at most 600 s):
    /// until then they idle, and a newcomer may close one to make room, which is right for the
    /// server and not what these tests hold them for. A loaded machine reads them late: on 2
    /// cores, with other suites' long computations on the cooperative threads, more than 10 s.
    static func untilBusy(_ server: UnixHTTPServer, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(600)
        while server.busyConnections < count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.busyConnections >= count, "the server read \(server.busyConnections) of \(count) requests")
    }

    /// Busy connections (half a request each) fill the TCP peer's share: its next one is read
    /// and answered 503 with Retry-After; the admin is still served.
    @Test func aPeerPastItsShareIs503AndTheAdminIsServed() async throws {
        let limits = LiveServerTests.patient(maxConnections: 8, maxConnectionsPerPeer: 2, adminReservedConnections: 2)
        try await Self.withServers(limits) { path, port, server in
            let held = try (0..<2).map { _ in try RawClient(tcpPort: port) }
            for client in held { client.send("GET /v1/hea") }
            try await Self.untilBusy(server, 2)
            let third = try RawClient(tcpPort: port)
            third.send(Self.health)
            let refused = await Task.detached { third.readResponse() }.value
            #expect(refused.hasPrefix("HTTP/1.1 503"))
            #expect(refused.contains("Retry-After: 1\r\n"))
            #expect(refused.contains("loopback TCP holds its share of 2 connections"))
            let admin = try RawClient(unixPath: path)
            admin.send(Self.health)
            #expect(await Task.detached { admin.readResponse() }.value.hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    /// Everything users may take is taken: the reserve still serves the admin.
    @Test func theReserveKeepsTheAdminIn() async throws {
        let limits = LiveServerTests.patient(maxConnections: 3, maxConnectionsPerPeer: 3, adminReservedConnections: 1)
        try await Self.withServers(limits) { path, port, server in
            let held = try (0..<2).map { _ in try RawClient(tcpPort: port) }
            for client in held { client.send("GET /v1/hea") }
            try await Self.untilBusy(server, 2)
            let user = try RawClient(tcpPort: port)
            user.send(Self.health)
            #expect(await Task.detached { user.readResponse() }.value.hasPrefix("HTTP/1.1 503"))
            let admin = try RawClient(unixPath: path)
            admin.send(Self.health)
            #expect(await Task.detached { admin.readResponse() }.value.hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    /// At its share, the peer's idle keep-alive connection is closed to admit its new one.
    @Test func anIdleConnectionMakesRoom() async throws {
        let limits = LiveServerTests.patient(maxConnections: 8, maxConnectionsPerPeer: 2, adminReservedConnections: 2)
        try await Self.withServers(limits) { _, port, server in
            let idle = try RawClient(tcpPort: port)
            idle.send(Self.health)
            #expect(await Task.detached { idle.readResponse() }.value.hasPrefix("HTTP/1.1 200 OK"))
            let busy = try RawClient(tcpPort: port)
            busy.send("GET /v1/hea")
            try await Self.untilBusy(server, 1)
            let newcomer = try RawClient(tcpPort: port)
            newcomer.send(Self.health)
            #expect(await Task.detached { newcomer.readResponse() }.value.hasPrefix("HTTP/1.1 200 OK"))
            #expect(await Task.detached { idle.isClosedByServer() }.value)
        }
    }
}
