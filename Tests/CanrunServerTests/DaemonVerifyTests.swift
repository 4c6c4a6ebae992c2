import CanrunClient
import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// `POST /v1/verify`: canrund runs the real llama-bench (scripts/build-llama-cpp.sh's, required
/// in CI) on a GGUF file beside its own answers, in the background, and keeps the result
/// (`GET /v1/verifications`); a file that is no model fails with the reason in `/v1/health`.
struct DaemonVerifyTests {
    /// `/v1/health` once `verify_run` is no longer `running` (at most 2 minutes).
    static func ended(_ client: DaemonClient) throws -> [String: Any] {
        for _ in 0..<1200 {
            let health =
                try JSONSerialization.jsonObject(with: Data(try #require(client.get("/v1/health")).body))
                as? [String: Any] ?? [:]
            if health["verify_run"] as? String != "running" { return health }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("the verification never ended")
        return [:]
    }

    @Test(
        .enabled(if: ServerFixtures.canrundBuilt && CalibrateCommandTests.runnable),
        .timeLimit(.minutes(3))
    )
    func canrundVerifiesAFileInTheBackground() throws {
        let bench = try #require(VerifyCommandTests.bench)
        let model = try CalibrationStore.syntheticFile(
            MachineCalibration.model(family: "Q8_0", quick: true),
            quants: try ServerFixtures.snapshot().engine.quants,
            in: NSTemporaryDirectory() + "canrun-observe-models"
        )
        try DaemonCalibrationTests.withDaemon(config: "[llama_cpp]\nbench = \"\(bench)\"\n") { folder, client in
            // Before a bandwidth measurement there is nothing to set beside llama-bench's speeds.
            let early = client.request("POST", "/v1/verify?model=\(model)")
            #expect(early?.status == 409)
            try DaemonCalibrationTests.measured(folder, client)
            let started = client.request("POST", "/v1/verify?model=\(model)&repetitions=1&ctx=2048")
            #expect(started?.status == 202, "\(String(decoding: started?.body ?? [], as: UTF8.self))")
            let health = try Self.ended(client)
            #expect(health["verify_run"] as? String == "finished", "\(health)")
            let kept = try ProfileJSON.decoder().decode(
                [Verification].self,
                from: Data(try #require(client.get("/v1/verifications")).body)
            )
            let verification = try #require(kept.last)
            #expect(kept.count == 1)
            #expect(verification.modelFile == model)
            #expect(verification.quant == "Q8_0")
            #expect(verification.rows.map(\.test) == ["pp512", "tg128"])
            #expect(verification.rows.allSatisfy { $0.measuredTokensPerS > 0 && $0.ratio != nil })
            // Kept in canrund's state directory, for the next start.
            #expect(try VerificationLog(directory: folder + "/state").load() == kept)

            // A file that is no model: the run fails, and says why.
            let notAModel = folder + "/canrun.gguf"
            try "not a model".write(toFile: notAModel, atomically: true, encoding: .utf8)
            #expect(client.request("POST", "/v1/verify?model=\(notAModel)")?.status == 202)
            let failed = try Self.ended(client)
            #expect(failed["verify_run"] as? String == "failed")
            #expect((failed["verify_run_problem"] as? String)?.contains("no GGUF model file") == true, "\(failed)")
        }
    }
}
