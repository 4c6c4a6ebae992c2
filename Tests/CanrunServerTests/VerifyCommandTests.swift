import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// `canrun verify`, the built binary, end to end: a GGUF canrun writes, run by the real
/// llama-bench (scripts/build-llama-cpp.sh; CI sets CANRUN_REQUIRE_LLAMA=1 and builds it), and
/// the failures a person meets first. Needs the binary built (`swift build --build-tests`).
struct VerifyCommandTests {
    static let binary = ServerFixtures.repository + "/.build/debug/canrun"
    static var built: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    static let bench = try? LlamaBenchRunner.locate(explicit: nil, environment: ProcessInfo.processInfo.environment)

    /// A fresh state folder, so the test's bandwidth and verifications are its own.
    static func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func run(
        _ arguments: [String],
        state: URL,
        extra: [String: String] = [:]
    ) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(ServerFixtures.environment) { _, b in b }
        environment["CANRUN_SOCKET"] = "/nonexistent/canrun.sock"
        environment["XDG_STATE_HOME"] = state.path
        process.environment = environment.merging(extra) { _, b in b }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    static func writeModel(in folder: URL) throws -> String {
        let quants = try QuantTable(
            toml: String(contentsOfFile: ServerFixtures.repository + "/config/quants.toml", encoding: .utf8)
        )
        let model = SyntheticModel(
            name: "synthetic",
            layers: 4,
            embedding: 512,
            feedForward: 1024,
            heads: 8,
            kvHeads: 2,
            vocabulary: 2000,
            weightType: "Q8_0"
        )
        let path = folder.appendingPathComponent("synthetic-q8_0.gguf").path
        try SyntheticGGUFFile.write(try model.header(quants: quants), to: path)
        return path
    }

    @Test(.enabled(if: built && bench != nil))
    func printsBothFiguresAndKeepsThem() throws {
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let model = try Self.writeModel(in: state)
        let measured = try Self.run(["bench", "--quick"], state: state)
        #expect(measured.status == 0, "\(measured.stderr)")
        let result = try Self.run(
            ["verify", model, "--json", "--repetitions", "1", "--depth", "256", "--threads", "1"],
            state: state
        )
        #expect(result.status == 0, "\(result.stderr)")
        let verification = try ProfileJSON.decoder().decode(Verification.self, from: Data(result.stdout.utf8))
        #expect(verification.rows.map(\.test) == ["pp512", "tg128", "pp512 @ d256", "tg128 @ d256"])
        #expect(verification.threads == 1)
        // scripts/build-llama-cpp.sh's build knows no commit; its VERSION file names it.
        if let bench = Self.bench, bench.contains("/canrun/llama.cpp/") {
            #expect(verification.llamaBuildCommit == "0c1e57098")
        }
        #expect(verification.benchArguments.contains("-ngl"))
        for row in verification.rows {
            let predicted = try #require(row.predictedTokensPerS, "\(row.test) has no prediction")
            #expect(row.measuredTokensPerS > 0)
            #expect(row.ratio == row.measuredTokensPerS / predicted)
        }
        let kept = try VerificationLog(directory: state.path + "/canrun").load()
        #expect(kept == [verification])
    }

    @Test(
        .enabled(if: built),
        arguments: [
            (["verify", "llama-3.1-8b"], "give a .gguf file"),
            (["verify", "model.gguf", "--preset", "rtx-4090"], "drop --preset"),
            (["verify", "model.gguf", "--depth", "0"], "--depth must be 1"),
        ]
    )
    func refusesWhatItCannotVerify(_ arguments: [String], _ message: String) throws {
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try Self.run(arguments, state: state)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// No llama-bench anywhere: a clear error that says how to get one, before anything runs.
    @Test(.enabled(if: built))
    func saysHowToGetLlamaBench() throws {
        let state = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: state) }
        let model = try Self.writeModel(in: state)
        let missing = try Self.run(
            ["verify", model],
            state: state,
            extra: ["PATH": "/usr/bin:/bin", "CANRUN_LLAMA_CACHE": state.path + "/none"]
        )
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no llama-bench found"), "\(missing.stderr)")
        #expect(missing.stderr.contains("scripts/build-llama-cpp.sh"), "\(missing.stderr)")
        let wrong = try Self.run(["verify", model, "--llama-bench", "/nonexistent/llama-bench"], state: state)
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("/nonexistent/llama-bench is not an executable llama-bench"), "\(wrong.stderr)")
    }
}
