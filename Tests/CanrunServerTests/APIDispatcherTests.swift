import CanrunCore
import CanrunServer
import Foundation
import Testing

/// Admin routes, body limits and snapshot updates, through the dispatcher every connection uses.
struct APIDispatcherTests {
    static func dispatcher(bandwidth: BandwidthReport? = nil) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(bandwidth: bandwidth),
            daemonUID: 999,
            limits: ServerLimits(maxBodyBytes: 1024),
            rebenchmark: { ServerFixtures.bandwidth }
        )
    }

    @Test func otherUsersMayNotRebenchmark() async throws {
        let d = try Self.dispatcher()
        let response = await d.respond(method: "POST", target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(response.status == 403)
        #expect(ServerFixtures.text(response).contains("forbidden"))
        let unknownPeer = await d.respond(method: "POST", target: "/v1/bandwidth", bodyBytes: 0, peer: nil)
        #expect(unknownPeer.status == 403)
        #expect(d.snapshot.benchmark == .pending)
    }

    @Test(arguments: [UInt32(0), 999])
    func rootAndTheDaemonsUserRebenchmark(_ uid: UInt32) async throws {
        let d = try Self.dispatcher()
        let response = await d.respond(method: "POST", target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: uid))
        #expect(response.status == 200)
        #expect(d.snapshot.benchmark == .ready)
        #expect(d.snapshot.machine.bandwidth == ServerFixtures.bandwidth)
        let health = await d.respond(method: "GET", target: "/v1/health", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(ServerFixtures.text(health).contains("\"ready\""))
    }

    @Test func aFailedBenchmarkKeepsTheOldAnswer() async throws {
        struct Boom: Error {}
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 999,
            limits: ServerLimits(),
            rebenchmark: { throw Boom() }
        )
        let response = await d.respond(method: "POST", target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 0))
        #expect(response.status == 500)
        #expect(ServerFixtures.text(response).contains("benchmark_failed"))
        #expect(d.snapshot.benchmark == .ready)
        #expect(d.snapshot.machine.bandwidth == ServerFixtures.bandwidth)
    }

    @Test func oversizedBodiesAre413() async throws {
        let response = try await Self.dispatcher().respond(
            method: "GET",
            target: "/v1/health",
            bodyBytes: 1025,
            peer: .init(uid: 0)
        )
        #expect(response.status == 413)
        #expect(ServerFixtures.text(response).contains("too_large"))
    }
}
