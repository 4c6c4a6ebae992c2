import CanrunBench
import CanrunClient
import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// canrund answers with the calibration in its state directory, serves it (`GET
/// /v1/calibration`), and the CLI answering with canrund's machine answers with canrund's
/// calibration, never the user's own: both say the same, byte for byte (the smoke test in
/// `.ci/run` failed on a machine whose user had calibrated). The built binaries, a daemon of
/// this machine.
struct DaemonCalibrationTests {
    /// A valid calibration of the hardware `fingerprint`, made on `day` (seconds since 1970).
    static func calibration(fingerprint: String, day: TimeInterval) -> MachineCalibration {
        MachineCalibration(
            fingerprint: fingerprint,
            date: Date(timeIntervalSince1970: day),
            llamaBuildCommit: "0c1e57098",
            llamaBuildNumber: 0,
            threads: 2,
            readBytesPerS: 30_000_000_000,
            runs: [],
            cpuWeightsPerCycle: ["Q4_0": 1.5],
            cpuPrefillEta: ["Q4_0": 0.5]
        )
    }

    static func decode<T: Decodable>(_ type: T.Type, _ answer: DaemonClient.Answer?) throws -> T {
        try ProfileJSON.decoder().decode(type, from: Data(try #require(answer).body))
    }

    /// Gives the canrund of `folder` a measured bandwidth of this machine (30 GB/s read, 2
    /// threads), as it keeps one in its state directory, read on reload.
    static func measured(_ folder: String, _ client: DaemonClient) throws {
        let machine = try Self.decode(MachineProfile.self, client.get("/v1/machine"))
        var report = ServerFixtures.bandwidth
        report.threads = 2
        report.nodes = [.init(node: 0, readBytesPerS: 30_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0)]
        report.total = .init(readBytesPerS: 30_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0)
        report.fingerprint = HardwareFingerprint.of(machine)
        try BandwidthCache(directory: folder + "/state").store(report)
        #expect(client.request("POST", "/v1/admin/reload")?.status == 200)
    }

    /// A canrund of this machine in a fresh folder with `config` and no benchmark at start, its
    /// state in `folder/state` and its cache in `folder/cache`, for the time of `body`.
    static func withDaemon(config: String = "", _ body: (String, DaemonClient) throws -> Void) throws {
        let folder = NSTemporaryDirectory() + "canrun-daemon-calibration-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ("[benchmark]\non_start = false\n\n" + config).write(
            toFile: folder + "/canrun.toml",
            atomically: true,
            encoding: .utf8
        )
        let daemon = try ServerFixtures.startDaemon(in: folder, extra: ["CACHE_DIRECTORY": folder + "/cache"])
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        let socket = folder + "/canrun.sock"
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { Thread.sleep(forTimeInterval: 0.05) }
        try body(folder, DaemonClient(path: socket, timeoutSeconds: 30))
    }

    @Test(.enabled(if: ServerFixtures.canrundBuilt && VerifyCommandTests.built), .timeLimit(.minutes(2)))
    func theDaemonsCalibrationAnswersForBoth() throws {
        try Self.withDaemon { folder, client in try Self.bothAnswerWithTheDaemons(folder, client) }
    }

    static func bothAnswerWithTheDaemons(_ folder: String, _ client: DaemonClient) throws {
        let socket = client.path
        let state = CalibrationStore(directory: folder + "/state")
        let user = CalibrationStore(directory: folder + "/user/canrun")
        let before = try Self.decode(CalibrationState.self, client.get("/v1/calibration"))
        #expect(before == .none(path: state.path))

        // Calibrations of this machine: the daemon's (2026-12-01) and the user's (2026-12-02).
        let machine = try Self.decode(MachineProfile.self, client.get("/v1/machine"))
        let fingerprint = HardwareFingerprint.of(machine)
        let daemons = Self.calibration(fingerprint: fingerprint, day: 1_796_083_200)
        try state.save(daemons)
        try user.save(Self.calibration(fingerprint: fingerprint, day: 1_796_169_600))
        #expect(client.request("POST", "/v1/admin/reload")?.status == 200)

        let after = try Self.decode(CalibrationState.self, client.get("/v1/calibration"))
        #expect(after.status == .applied)
        #expect(after.calibration == daemons)
        let health = String(decoding: try #require(client.get("/v1/health")).body, as: UTF8.self)
        #expect(health.contains("\"calibration\" : \"applied\""), "\(health)")

        let target = "/v1/fit?model=llama-3.2-1b&quant=Q4_0&ctx=4096"
        let served = String(decoding: try #require(client.get(target)).body, as: UTF8.self)
        let cli = try VerifyCommandTests.run(
            ["fit", "llama-3.2-1b", "--quant", "Q4_0", "--ctx", "4096", "--json"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout == served + "\n" || cli.stdout == served)
        #expect(served.contains("calibrated here on 2026-12-01"), "\(served)")
        #expect(!cli.stdout.contains("2026-12-02"))

        // Without the daemon, the user's own answers.
        let alone = try VerifyCommandTests.run(
            ["fit", "llama-3.2-1b", "--quant", "Q4_0", "--ctx", "4096", "--no-daemon"],
            state: URL(fileURLWithPath: folder + "/user")
        )
        #expect(alone.stdout.contains("calibrated here on 2026-12-02"), "\(alone.stdout)")

        // Another machine's calibration is not used by the daemon nor by the CLI through it,
        // and the CLI says why.
        try state.save(Self.calibration(fingerprint: "0000000000000000", day: 1_796_083_200))
        #expect(client.request("POST", "/v1/admin/reload")?.status == 200)
        let other = try Self.decode(CalibrationState.self, client.get("/v1/calibration"))
        #expect(other.status == .unusable)
        #expect(other.problem?.contains("is of other hardware") == true, "\(String(describing: other.problem))")
        let shipped = try VerifyCommandTests.run(
            ["fit", "llama-3.2-1b", "--quant", "Q4_0", "--ctx", "4096"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(shipped.status == 0, "\(shipped.stderr)")
        #expect(!shipped.stdout.contains("calibrated here"), "\(shipped.stdout)")
        #expect(shipped.stderr.contains("\(state.path) is of other hardware"), "\(shipped.stderr)")
    }

    /// `canrun calibrate` with canrund running asks canrund, which calibrates with its configured
    /// llama-bench (the real one, `--quick`), keeps it in its state directory, and answers with it;
    /// the CLI prints canrund's calibration, and fits through canrund say so.
    @Test(
        .enabled(if: ServerFixtures.canrundBuilt && CalibrateCommandTests.runnable),
        .timeLimit(.minutes(5))
    )
    func canrunCalibrateAsksTheDaemon() throws {
        let bench = try #require(VerifyCommandTests.bench)
        try Self.withDaemon(config: "[llama_cpp]\nbench = \"\(bench)\"\n") { folder, client in
            try Self.calibratesWhenAsked(folder, client)
        }
    }

    static func calibratesWhenAsked(_ folder: String, _ client: DaemonClient) throws {
        let socket = client.path
        // Without a measured bandwidth canrund refuses, and the CLI says why.
        let refused = try VerifyCommandTests.run(
            ["calibrate", "--quick"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(refused.status == 2)
        #expect(
            refused.stderr.contains("canrund: a calibration answers with the measured bandwidth"),
            "\(refused.stderr)"
        )

        try Self.measured(folder, client)

        let calibrated = try VerifyCommandTests.run(
            ["calibrate", "--quick", "--allow-busy", "--repetitions", "1"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        #expect(calibrated.stdout.contains("canrund is calibrating"), "\(calibrated.stdout)")
        let state = try Self.decode(CalibrationState.self, client.get("/v1/calibration"))
        #expect(state.status == .applied)
        #expect(state.path == folder + "/state/calibration.json")
        let note = try #require(state.calibration?.note)
        #expect(calibrated.stdout.contains(note), "\(calibrated.stdout)")
        // canrund's, not the user's: nothing was written in the user's state folder.
        #expect(!FileManager.default.fileExists(atPath: folder + "/user/canrun/calibration.json"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder + "/cache/calibration").count
                == MachineCalibration.families.count + 1
        )
        let fit = try VerifyCommandTests.run(
            ["fit", "llama-3.2-1b", "--quant", "Q4_0"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(fit.stdout.contains(note), "\(fit.stdout)")
        // A reload keeps what canrund calibrated when the state directory lost it (a full or
        // read-only disk): the calibration in memory is newer than none.
        try FileManager.default.removeItem(atPath: state.path)
        #expect(client.request("POST", "/v1/admin/reload")?.status == 200)
        #expect(try Self.decode(CalibrationState.self, client.get("/v1/calibration")) == state)
        let shown = try VerifyCommandTests.run(
            ["calibrate", "--show"],
            state: URL(fileURLWithPath: folder + "/user"),
            extra: ["CANRUN_SOCKET": socket]
        )
        #expect(shown.stdout.hasPrefix(note), "\(shown.stdout)")
    }
}
