import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// `canrun calibrate`, the built binary, end to end on the real llama-bench (scripts/
/// build-llama-cpp.sh; required in CI): it writes its models, times them, keeps the calibration,
/// and `fit` then answers with it and says so. `--quick` keeps it to seconds and `--allow-busy`
/// lets it run beside the rest of the suite.
struct CalibrateCommandTests {
    /// A calibration of no machine's hardware (fingerprint zero), valid otherwise.
    static let otherHardware = MachineCalibration(
        fingerprint: "0000000000000000",
        date: Date(timeIntervalSince1970: 1_796_688_000),
        llamaBuildCommit: "0c1e57098",
        llamaBuildNumber: 0,
        threads: 2,
        readBytesPerS: 30_000_000_000,
        runs: [],
        cpuWeightsPerCycle: ["Q4_0": 1],
        cpuPrefillEta: [:]
    )

    static var runnable: Bool { VerifyCommandTests.built && VerifyCommandTests.bench != nil }

    @Test(.enabled(if: runnable))
    func calibratesThenFitSaysSo() throws {
        let state = try VerifyCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let cache = ["XDG_CACHE_HOME": state.path + "/cache"]
        #expect(try VerifyCommandTests.run(["bench", "--quick"], state: state).status == 0)
        let calibrated = try VerifyCommandTests.run(
            [
                "calibrate", "--quick", "--allow-busy", "--repetitions", "1", "--json",
                "--llama-bench", try #require(VerifyCommandTests.bench),
            ],
            state: state,
            extra: cache
        )
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        let calibration = try ProfileJSON.decoder().decode(MachineCalibration.self, from: Data(calibrated.stdout.utf8))
        #expect(Set(calibration.cpuWeightsPerCycle.keys) == Set(MachineCalibration.families))
        #expect(Set(calibration.cpuPrefillEta.keys) == Set(MachineCalibration.families))
        #expect(calibration.runs.map(\.test) == Array(repeating: ["pp512", "tg32"], count: 5).flatMap { $0 })
        #expect(calibration.runs.map { $0.heldOut == true } == Array(repeating: false, count: 8) + [true, true])
        #expect(calibration.heldOutError != nil)
        #expect(calibration.runs.allSatisfy { $0.measuredTokensPerS > 0 && $0.predictedAfter != nil })
        // The models stay in the cache for the next calibration.
        let models = try FileManager.default.contentsOfDirectory(atPath: state.path + "/cache/canrun/calibration")
        #expect(
            models.sorted()
                == (MachineCalibration.families.map { "canrun-calibration-quick-\($0.lowercased())" } + [
                    "canrun-calibration-quick-q4_k-moe"
                ]).map { $0 + ".gguf" }.sorted()
        )

        let fit = try VerifyCommandTests.run(["fit", "llama-3.2-1b", "--quant", "Q4_0"], state: state)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains(calibration.note), "\(fit.stdout)")
        let shown = try VerifyCommandTests.run(["calibrate", "--show"], state: state)
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix(calibration.note), "\(shown.stdout)")
    }

    @Test(.enabled(if: VerifyCommandTests.built))
    func showWithoutACalibrationSaysHowToMakeOne() throws {
        let state = try VerifyCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let shown = try VerifyCommandTests.run(["calibrate", "--show"], state: state)
        #expect(shown.status == 2)
        #expect(shown.stderr.contains("no calibration in"), "\(shown.stderr)")
        #expect(shown.stderr.contains("run canrun calibrate"), "\(shown.stderr)")
    }

    /// A calibration.json canrun cannot use (hand-edited out of range, or not JSON) is never
    /// applied: fit answers with the shipped rates and says why; --show says what is wrong.
    @Test(.enabled(if: VerifyCommandTests.built), arguments: ["{\"cpu_weights_per_cycle\": 3", "hostile"])
    func aCalibrationCanrunCannotUseIsSaidAndSkipped(_ kind: String) throws {
        let state = try VerifyCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let store = CalibrationStore(directory: state.path + "/canrun")
        if kind == "hostile" {
            var hostile = Self.otherHardware
            hostile.cpuWeightsPerCycle["Q4_0"] = 1e-300
            try store.save(hostile)
        } else {
            try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
            try kind.write(toFile: store.path, atomically: true, encoding: .utf8)
        }
        let fit = try VerifyCommandTests.run(["fit", "llama-3.2-1b", "--quant", "Q4_0"], state: state)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stderr.contains("is no calibration canrun can use"), "\(fit.stderr)")
        #expect(fit.stderr.contains("the shipped rates answer"), "\(fit.stderr)")
        #expect(!fit.stdout.contains("calibrated here"))
        let shown = try VerifyCommandTests.run(["calibrate", "--show"], state: state)
        #expect(shown.status == 2)
        #expect(shown.stderr.contains("run canrun calibrate again"), "\(shown.stderr)")
    }

    /// A calibration of other hardware is not used, and fit says why on stderr.
    @Test(.enabled(if: VerifyCommandTests.built))
    func aCalibrationOfOtherHardwareIsNotUsed() throws {
        let state = try VerifyCommandTests.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let other = Self.otherHardware
        try CalibrationStore(directory: state.path + "/canrun").save(other)
        let fit = try VerifyCommandTests.run(["fit", "llama-3.2-1b", "--quant", "Q4_0"], state: state)
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stderr.contains("is of other hardware"), "\(fit.stderr)")
        #expect(!fit.stdout.contains("calibrated here"))
    }
}
