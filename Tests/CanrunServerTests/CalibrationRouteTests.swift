import CanrunCore
import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import CanrunServer

/// `POST /v1/calibration` through the dispatcher: admin only, one run at a time in the
/// background, its state in `/v1/health`, and the answers use what it fitted once it ends (a
/// failure keeps the old answers). The run itself is `CalibrationRun` (llama-bench, minutes): here
/// a stand-in that returns a calibration after a moment; `DaemonCalibrationTests` runs the real
/// one through canrund.
struct CalibrationRouteTests {
    static let path = "/var/lib/canrun/calibration.json"

    /// The fixture machine's calibration: Q4_0 at 1.5 weights per cycle, dated 2026-12-01.
    static func applied(to snapshot: APISnapshot) -> CalibrationState {
        .of(
            DaemonCalibrationTests.calibration(
                fingerprint: HardwareFingerprint.of(snapshot.machine),
                day: 1_796_083_200
            ),
            path: path,
            fingerprint: HardwareFingerprint.of(snapshot.machine),
            llamaBenchModified: nil
        )
    }

    static func dispatcher(
        bandwidth: BandwidthReport? = ServerFixtures.bandwidth,
        recalibrate: @escaping APIDispatcher.Recalibrate
    ) throws -> APIDispatcher {
        APIDispatcher(
            snapshot: try ServerFixtures.snapshot(bandwidth: bandwidth),
            daemonUID: 999,
            limits: ServerLimits(),
            rebenchmark: nil,
            recalibrate: recalibrate
        )
    }

    static func health(_ d: APIDispatcher) async throws -> [String: Any] {
        try ServerFixtures.json(await d.respond(method: .GET, target: "/v1/health", bodyBytes: 0, peer: nil))
    }

    /// Polls `/v1/health` until the run is no longer `running` (at most 10 s).
    static func ended(_ d: APIDispatcher) async throws -> [String: Any] {
        for _ in 0..<200 {
            let health = try await health(d)
            if health["calibration_run"] as? String != "running" { return health }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the calibration never ended")
        return [:]
    }

    @Test func otherUsersMayNotCalibrate() async throws {
        let d = try Self.dispatcher { _, _, _ in (.none(path: Self.path), nil) }
        let response = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 1000))
        #expect(response.status.code == 403)
        #expect(d.snapshot.calibrationRun == nil)
    }

    @Test func itNeedsTheMeasuredBandwidth() async throws {
        let d = try Self.dispatcher(bandwidth: nil) { _, _, _ in (.none(path: Self.path), nil) }
        let response = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(response.status.code == 409)
        #expect(ServerFixtures.text(response).contains("no_bandwidth"))
    }

    @Test func aDaemonWithoutLlamaBenchSaysSo() async throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 999,
            limits: ServerLimits(),
            rebenchmark: nil
        )
        let response = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(response.status.code == 503)
    }

    /// 202 at once; `running` meanwhile (a second run is 409); then `finished`, and the fit
    /// answers with the calibrated rates and says so. The run gets the machine, the shipped
    /// engine and the query.
    @Test func itRunsInTheBackgroundThenAnswersWithIt() async throws {
        let snapshot = try ServerFixtures.snapshot()
        let calibrated = Self.applied(to: snapshot)
        let asked = NIOLockedValueBox<APIRoute.CalibrationQuery?>(nil)
        let d = try Self.dispatcher { machine, engine, query in
            #expect(machine == snapshot.machine)
            #expect(engine.efficiency == snapshot.engine.efficiency)
            asked.withLockedValue { $0 = query }
            try await Task.sleep(for: .milliseconds(300))
            return (calibrated, nil)
        }
        let started = await d.respond(
            method: .POST,
            target: "/v1/calibration?quick=1&repetitions=1",
            bodyBytes: 0,
            peer: .init(uid: 999)
        )
        #expect(started.status.code == 202)
        #expect(try await Self.health(d)["calibration_run"] as? String == "running")
        let again = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(again.status.code == 409)
        #expect(ServerFixtures.text(again).contains("calibration_running"))

        let health = try await Self.ended(d)
        #expect(health["calibration_run"] as? String == "finished")
        #expect(health["calibration"] as? String == "applied")
        #expect(asked.withLockedValue { $0 } == .init(quick: true, repetitions: 1))
        let state = await d.respond(method: .GET, target: "/v1/calibration", bodyBytes: 0, peer: nil)
        #expect(try ProfileJSON.decoder().decode(CalibrationState.self, from: Data(state.body)) == calibrated)
        let fit = await d.respond(
            method: .GET,
            target: "/v1/fit?model=llama-3.1-8b&quant=Q4_0",
            bodyBytes: 0,
            peer: nil
        )
        #expect(ServerFixtures.text(fit).contains("calibrated here on 2026-12-01"))
    }

    /// The bandwidth benchmark and llama-bench would each measure the other: while one runs,
    /// the other is refused (409 busy), and runs once it is done.
    @Test func aCalibrationAndTheBenchmarkNeverRunTogether() async throws {
        let d = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(),
            daemonUID: 0,
            limits: ServerLimits(),
            rebenchmark: { _ in
                try await Task.sleep(for: .milliseconds(300))
                return .init(report: ServerFixtures.bandwidth, cache: .saved)
            },
            recalibrate: { _, _, _ in
                try await Task.sleep(for: .milliseconds(300))
                return (.none(path: Self.path), nil)
            }
        )
        async let benchmark = d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 0))
        try await Task.sleep(for: .milliseconds(100))
        let refused = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(refused.status.code == 409)
        #expect(ServerFixtures.text(refused).contains("the bandwidth benchmark runs"))
        #expect(await benchmark.status.code == 200)
        let started = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(started.status.code == 202)
        let busy = await d.respond(method: .POST, target: "/v1/bandwidth", bodyBytes: 0, peer: .init(uid: 0))
        #expect(busy.status.code == 409)
        #expect(ServerFixtures.text(busy).contains("a calibration runs llama-bench"))
        _ = try await Self.ended(d)
    }

    @Test func aFailedRunKeepsTheAnswersAndSaysWhy() async throws {
        struct NoLlamaBench: Error, CustomStringConvertible {
            var description = "no llama-bench found"
        }
        let d = try Self.dispatcher { _, _, _ in throw NoLlamaBench() }
        let before = d.snapshot.engine.efficiency
        let started = await d.respond(method: .POST, target: "/v1/calibration", bodyBytes: 0, peer: .init(uid: 0))
        #expect(started.status.code == 202)
        let health = try await Self.ended(d)
        #expect(health["calibration_run"] as? String == "failed")
        #expect(health["calibration_run_problem"] as? String == "no llama-bench found")
        #expect(health["calibration"] as? String == "none")
        #expect(d.snapshot.engine.efficiency == before)
    }

    /// A second calibration replaces the first: the rates are applied to the shipped table,
    /// never to the table the first calibration made (untimed families would be scaled twice).
    @Test func aNewCalibrationReplacesTheLast() throws {
        var snapshot = try ServerFixtures.snapshot()
        let shipped = snapshot.engine.efficiency
        let first = Self.applied(to: snapshot)
        var second = first
        second.calibration?.cpuWeightsPerCycle = ["Q4_0": 3]
        snapshot.calibrate(with: first)
        snapshot.calibrate(with: second)
        #expect(snapshot.engine.efficiency == second.applied(to: shipped))
        #expect(snapshot.shippedEngine.efficiency == shipped)
        snapshot.calibrate(with: .none(path: Self.path))
        #expect(snapshot.engine.efficiency == shipped)
    }
}
