import CanrunCore
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import CanrunServer

/// Admin routes, body limits and snapshot updates, through the dispatcher every connection uses.
struct APIDispatcherTests {
    static func dispatcher(bandwidth: BandwidthReport? = nil) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(bandwidth: bandwidth),
            daemonUID: 999,
            limits: ServerLimits(maxBodyBytes: 1024),
            rebenchmark: { _ in .init(report: ServerFixtures.bandwidth, cache: .saved) }
        )
    }

    @Test func otherUsersMayNotRebenchmark() async throws {
        let d = try Self.dispatcher()
        let response = await d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(response.status.code == 403)
        #expect(ServerFixtures.text(response).contains("forbidden"))
        let unknownPeer = await d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: nil)
        #expect(unknownPeer.status.code == 403)
        #expect(d.snapshot.benchmark == .pending)
    }

    @Test(arguments: [UInt32(0), 999])
    func rootAndTheDaemonsUserRebenchmark(_ uid: UInt32) async throws {
        let d = try Self.dispatcher()
        let response = await d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: uid))
        #expect(response.status.code == 200)
        #expect(d.snapshot.benchmark == .ready)
        #expect(d.snapshot.machine.bandwidth == ServerFixtures.bandwidth)
        let health = await d.respond(method: .GET, target: "/v1/health", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(ServerFixtures.text(health).contains("\"ready\""))
    }

    @Test func aFailedBenchmarkKeepsTheOldAnswer() async throws {
        struct Boom: Error {}
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 999,
            limits: ServerLimits(),
            rebenchmark: { _ in throw Boom() }
        )
        let response = await d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 0))
        #expect(response.status.code == 500)
        #expect(ServerFixtures.text(response).contains("benchmark_failed"))
        #expect(d.snapshot.benchmark == .ready)
        #expect(d.snapshot.machine.bandwidth == ServerFixtures.bandwidth)
    }

    @Test func oversizedBodiesAre413() async throws {
        let response = try await Self.dispatcher().respond(
            method: .GET,
            target: "/v1/health",
            bodyBytes: 1025,
            peer: .init(uid: 0)
        )
        #expect(response.status.code == 413)
        #expect(ServerFixtures.text(response).contains("too_large"))
    }
}

/// RAM and GPU memory free now, published by the daemon's poller, so `fits_now` is true when asked.
struct FreeMemoryTests {
    static func fitLlama(_ d: APIDispatcher) async throws -> [String: Any] {
        let response = await d.respond(
            method: .GET,
            target: "/v1/fit?model=llama-3.1-8b&quant=Q4_K_M",
            bodyBytes: 0,
            peer: nil
        )
        return try ServerFixtures.json(response)
    }

    /// Requests read the last published reading; they never ask the drivers themselves.
    @Test func requestsReadThePublishedReading() throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        #expect(d.freeReading == nil)
        d.publish(.init(ramBytes: 1 << 30))
        #expect(d.freeReading == .init(ramBytes: 1 << 30))
        d.publish(.init(ramBytes: 2 << 30))
        #expect(d.freeReading?.ramBytes == 2 << 30)
    }

    /// 1 GiB free: Llama 3.1 8B fits the 64 GiB machine but not what is free now.
    @Test func fitsNowFollowsTheFreshReading() async throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        d.publish(.init(ramBytes: 1 << 30))
        let body = try await Self.fitLlama(d)
        #expect(body["fits"] as? Bool == true)
        #expect(body["fits_now"] as? Bool == false)
    }

    /// A 24 GB card with 1 GiB free now (another process holds the rest): the model fits the
    /// card, not what is free on it.
    @Test func fitsNowFollowsTheGPUsFreeMemory() async throws {
        var snapshot = try ServerFixtures.snapshot()
        snapshot.machine.gpus = [
            GPUFacts(
                pciAddress: "0000:01:00.0",
                vendor: "NVIDIA",
                name: "GeForce RTX 4090",
                memoryBytes: 24 << 30,
                memoryFreeBytes: 24 << 30,
                memorySource: "nvml",
                bandwidthBytesPerS: 1_008_000_000_000,
                bandwidthSource: "table"
            )
        ]
        let d = APIDispatcher(
            snapshot: snapshot,
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        d.publish(.init(ramBytes: 60 << 30, gpuBytes: ["0000:01:00.0": 1 << 30]))
        let body = try await Self.fitLlama(d)
        #expect((body["placement"] as? [String: Any])?["mode"] as? String == "gpu")
        #expect(body["fits"] as? Bool == true)
        #expect(body["fits_now"] as? Bool == false)
    }
}

/// The same question about the same facts is answered once; new facts answer anew.
struct ResponseCacheTests {
    @Test func sameQuestionSameBytesUntilTheFactsChange() async throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        let target = "/v1/fit?model=llama-3.1-8b&quant=Q4_K_M"
        #expect(d.cached(target) == nil)
        let first = await d.respond(method: .GET, target: target, bodyBytes: 0, peer: nil)
        #expect(d.cached(target) == first)
        #expect(await d.respond(method: .GET, target: target, bodyBytes: 0, peer: nil) == first)
        var faster = ServerFixtures.bandwidth
        faster.total.readBytesPerS *= 2
        d.update { $0.machine.bandwidth = faster }
        #expect(d.cached(target) == nil)
        let after = await d.respond(method: .GET, target: target, bodyBytes: 0, peer: nil)
        #expect(d.cached(target) == after)
        #expect(after != first)
        #expect(ServerFixtures.text(after).contains("\"effective_bandwidth_bytes_per_s\" : 115200000000"))
    }

    @Test func oldestEntriesGoFirst() {
        var cache = ResponseCache(capacity: 2)
        let keys = (0..<3).map {
            ResponseCache.Key(target: "/v1/models/m\($0)", generation: 0, freeMemory: nil)
        }
        let response = APIResponse(status: .ok, contentType: "text/plain", body: Array("x".utf8))
        for key in keys { cache.store(response, route: "model", for: key) }
        #expect(cache.answer(keys[0]) == nil)
        #expect(cache.answer(keys[1])?.response == response)
        #expect(cache.answer(keys[2])?.response == response)
    }

    @Test func timeAndSideEffectsAreNotCached() {
        #expect(!ResponseCache.isCacheable(.health))
        #expect(!ResponseCache.isCacheable(.metrics))
        #expect(!ResponseCache.isCacheable(.rebenchmark))
        #expect(ResponseCache.isCacheable(.models))
    }
}

/// `POST /v1/admin/reload`: the daemon's reload, for root or its own user only.
struct ReloadRouteTests {
    static func dispatcher(_ result: Result<String, DaemonConfig.ConfigError>) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 999,
            limits: ServerLimits(),
            rebenchmark: nil,
            reload: { result }
        )
    }

    @Test func aGoodConfigurationReloads() async throws {
        let d = try Self.dispatcher(.success("configuration from 1 file(s)"))
        let response = await d.respond(method: .POST, target: "/v1/admin/reload", bodyBytes: 0, peer: .init(uid: 999))
        #expect(response.status.code == 200)
        #expect(ServerFixtures.text(response).contains("\"reloaded\""))
    }

    @Test func aBadConfigurationIsRefusedWithItsReason() async throws {
        let d = try Self.dispatcher(
            .failure(.init(file: "/etc/canrun/canrun.toml", message: "log.level must be one of …"))
        )
        let response = await d.respond(method: .POST, target: "/v1/admin/reload", bodyBytes: 0, peer: .init(uid: 0))
        #expect(response.status.code == 422)
        #expect(ServerFixtures.text(response).contains("bad_config"))
        #expect(ServerFixtures.text(response).contains("/etc/canrun/canrun.toml: log.level"))
    }

    @Test func othersMayNotReload() async throws {
        let d = try Self.dispatcher(.success("x"))
        let response = await d.respond(method: .POST, target: "/v1/admin/reload", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(response.status.code == 403)
        let get = await d.respond(method: .GET, target: "/v1/admin/reload", bodyBytes: 0, peer: .init(uid: 0))
        #expect(get.status.code == 405)
    }
}

/// Fits and rankings are computed off the event loop, bounded in number and time.
struct ComputationLimitsTests {
    static func dispatcher(_ limits: ServerLimits) throws -> APIDispatcher {
        APIDispatcher(snapshot: try ServerFixtures.snapshot(), daemonUID: 0, limits: limits, rebenchmark: nil)
    }

    /// The event loop answers health and the model list itself; a fit is left to `respond`.
    @Test func theLoopNeverComputes() throws {
        let d = try Self.dispatcher(ServerLimits())
        #expect(d.respondNow(method: .GET, target: "/v1/health", bodyBytes: 0, peer: nil)?.status == .ok)
        #expect(d.respondNow(method: .GET, target: "/v1/models", bodyBytes: 0, peer: nil)?.status == .ok)
        for target in ["/v1/fit?model=llama-3.1-8b", "/v1/recommendations", "/v1/models/llama-3.1-8b"] {
            #expect(d.respondNow(method: .GET, target: target, bodyBytes: 0, peer: nil) == nil)
        }
    }

    @Test func pastTheComputationCapIs503WithRetryAfter() async throws {
        let d = try Self.dispatcher(ServerLimits(maxComputations: 0))
        let response = await d.respond(method: .GET, target: "/v1/recommendations", bodyBytes: 0, peer: nil)
        #expect(response.status == .serviceUnavailable)
        #expect(response.retryAfterSeconds == 1)
        #expect(ServerFixtures.text(response).contains("\"busy\""))
    }

    @Test func pastTheDeadlineIs503() async throws {
        let d = try Self.dispatcher(ServerLimits(computeTimeoutSeconds: 0))
        let response = await d.respond(method: .GET, target: "/v1/recommendations", bodyBytes: 0, peer: nil)
        #expect(response.status == .serviceUnavailable)
        #expect(ServerFixtures.text(response).contains("deadline_exceeded"))
        // Not cached: the next request computes again.
        #expect(d.cached("/v1/recommendations") == nil)
    }
}
