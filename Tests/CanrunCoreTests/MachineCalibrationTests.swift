import CanrunCore
import Foundation
import Testing

/// `MachineCalibration.fit` recovers the rates that produced a machine's speeds: measurements
/// made with canrun's own model and known rates (a "truth" table) are fitted back from the
/// shipped table, exactly where a rate bounds the speed and conservatively where memory does.
struct MachineCalibrationTests {
    /// A 2-core, 2.6 GHz AVX2 machine reading 30 GB/s (the development VM's order).
    static func machine() -> MachineProfile {
        var profile = FitEngineTests.machine(ramGiB: 24, readGBs: 30)
        profile.cpu = CPUFacts(
            model: "Test CPU",
            cores: 2,
            threads: 2,
            isa: ["avx", "avx2", "fma"],
            frequencyMaxMhz: 2600
        )
        return profile
    }

    static func measurement(
        _ family: String,
        test: (prompt: Int, generated: Int),
        truth: EfficiencyTable,
        machine: MachineProfile,
        model id: String = "llama-3.2-1b"
    ) throws -> MachineCalibration.Measurement {
        let model = try FitEngineTests.model(id)
        let quant = ["F16": "F16", "Q8_0": "Q8_0", "Q4_0": "Q4_0", "Q4_K": "Q4_K_M"][family]!
        let request = FitEngine.Request(model: model, quant: quant, context: 4096)
        var result = LlamaBenchResult(
            buildCommit: "0c1e57098",
            buildNumber: 0,
            modelType: "llama 1B",
            backends: "CPU",
            threads: 2,
            promptTokens: test.prompt,
            generatedTokens: test.generated,
            depth: 0,
            tokensPerS: 1,
            stddevTokensPerS: 0
        )
        let engine = FitEngine(quants: ShippedCatalog.quants, efficiency: truth)
        let predicted = Verification.prediction(for: result, base: request, engine: engine, machine: machine)
        result.tokensPerS = try #require(predicted, "canrun answers \(family) \(result.test)")
        return .init(family: family, result: result, request: request)
    }

    /// `measurements` fitted from the shipped tables on `machine()`.
    static func fit(_ measurements: [MachineCalibration.Measurement], date: Date) -> MachineCalibration {
        MachineCalibration.fit(
            measurements,
            table: FitEngineTests.efficiency,
            quants: ShippedCatalog.quants,
            machine: machine(),
            date: date
        )
    }

    @Test func recoversTheRatesThatMadeTheSpeeds() throws {
        let machine = Self.machine()
        let shipped = FitEngineTests.efficiency
        var truth = shipped
        // Q4_0 decodes compute-bound here at 2 weights per cycle (shipped: 6.33); F16's prompts
        // run at η 0.5 (shipped: 0.94).
        truth.cpuWeightsPerCycle["Q4_0"] = 2
        truth.prefill.cpuByQuantFamily["F16"] = 0.5
        let measurements = [
            try Self.measurement("Q4_0", test: (0, 32), truth: truth, machine: machine),
            try Self.measurement("F16", test: (256, 0), truth: truth, machine: machine),
        ]
        let calibration = Self.fit(measurements, date: Date(timeIntervalSince1970: 1_796_688_000))
        // canrun rounds its speeds to 0.01 t/s: the rates come back to within that.
        #expect(abs(try #require(calibration.cpuWeightsPerCycle["Q4_0"]) / 2 - 1) < 2e-3)
        #expect(abs(try #require(calibration.cpuPrefillEta["F16"]) / 0.5 - 1) < 2e-3)
        #expect(calibration.cpuWeightsPerCycle["F16"] == nil)
        #expect(calibration.fingerprint == HardwareFingerprint.of(machine))
        for run in calibration.runs {
            #expect(abs(try #require(run.predictedAfter) / run.measuredTokensPerS - 1) < 2e-3)
            #expect(run.predictedBefore != run.predictedAfter)
        }
        #expect(calibration.residual?.median == 0)
        #expect(calibration.residual?.worst == 0)
        #expect(calibration.cpuEta == nil)
        #expect(
            calibration.note
                == "CPU rates calibrated here on 2026-12-08 with llama.cpp 0c1e57098, 2 runs, residual 0 % (worst 0 %)"
        )

        // Applied, the table answers with the machine's rates and says so in the basis.
        let applied = calibration.applied(to: shipped)
        #expect(applied.cpuWeightsPerCycle["Q4_0"] == calibration.cpuWeightsPerCycle["Q4_0"])
        // A family not timed takes its shipped rate × the timed ones' median ratio (here Q4_0's
        // alone): these cores are that much slower than the table's on every kernel.
        let ratio = try #require(calibration.cpuWeightsPerCycle["Q4_0"]) / 6.33
        #expect(abs(try #require(applied.cpuWeightsPerCycle["Q8_0"]) - 4.50 * ratio) < 1e-9)
        #expect(applied.prefill.cpuByQuantFamily["F16"] == calibration.cpuPrefillEta["F16"])
        #expect(abs(try #require(applied.prefill.cpuByQuantFamily["Q4_0"]) - 0.8615 * 0.5 / 0.9408) < 1e-3)
        let engine = FitEngine(quants: ShippedCatalog.quants, efficiency: applied)
        let report = try engine.fit(
            .init(model: try FitEngineTests.model("llama-3.2-1b"), quant: "Q4_0", context: 4096),
            machine: machine
        )
        #expect(report.basis.notes.contains(calibration.note))
    }

    /// A held-out run (the MoE check model) is answered before and after and fits nothing: the
    /// rates are those of the fitted runs alone, and its error is the calibration's held-out
    /// error, in the note. Here the MoE's Q4_K kernels run at 3 weights per cycle while the
    /// calibration, from Q4_0 alone, scales the table's Q4_K by Q4_0's ratio.
    @Test func aHeldOutRunFitsNothingAndIsTheNotesError() throws {
        let machine = Self.machine()
        var truth = FitEngineTests.efficiency
        truth.cpuWeightsPerCycle["Q4_0"] = 2
        truth.cpuWeightsPerCycle["Q4_K"] = 3
        let fitted = try Self.measurement("Q4_0", test: (0, 32), truth: truth, machine: machine)
        var check = try Self.measurement("Q4_K", test: (0, 32), truth: truth, machine: machine, model: "mixtral-8x7b")
        check.heldOut = true
        let date = Date(timeIntervalSince1970: 1_796_688_000)
        let alone = Self.fit([fitted], date: date)
        let calibration = Self.fit([fitted, check], date: date)
        #expect(calibration.cpuWeightsPerCycle == alone.cpuWeightsPerCycle)
        #expect(calibration.cpuPrefillEta == alone.cpuPrefillEta)
        #expect(calibration.runs.map(\.heldOut) == [nil, true])
        let run = try #require(calibration.runs.last)
        let error = abs(try #require(run.predictedAfter) / run.measuredTokensPerS - 1)
        #expect(error > 0.05)
        #expect(calibration.heldOutError?.median == error)
        let percent = Int((error * 100).rounded())
        #expect(
            calibration.note
                == "CPU rates calibrated here on 2026-12-08 with llama.cpp 0c1e57098, 1 run; on an MoE model not fitted to: decode off by \(percent) %"
        )
    }

    /// A family that streams at the memory's pace shows no compute rate: the fit keeps the
    /// table's (F16 has no row: the median of the rows, IQ4_XS's 5.37), so larger models of the
    /// family are not made compute-bound on no evidence, and the run is still answered.
    @Test func aMemoryBoundFamilyKeepsTheTablesRate() throws {
        let machine = Self.machine()
        let shipped = FitEngineTests.efficiency
        var truth = shipped
        truth.cpuWeightsPerCycle["F16"] = 1000
        let measured = try Self.measurement("F16", test: (0, 32), truth: truth, machine: machine)
        let calibration = Self.fit([measured], date: Date())
        #expect(calibration.cpuWeightsPerCycle["F16"] == 5.37)
        let after = try #require(calibration.runs.first?.predictedAfter)
        #expect(abs(after / measured.result.tokensPerS - 1) < 2e-3)
    }

    /// F16 decoding faster than the memory bound allows moves the bound: the share of canrun's
    /// read that llama.cpp streams at here (1.5: the VM's memory served llama.cpp faster than
    /// canrun's read kernel saw), and with it the other families' compute rates fit.
    @Test func aRunFasterThanTheMemoryBoundMovesTheStreamShare() throws {
        let machine = Self.machine()
        let shipped = FitEngineTests.efficiency
        var truth = shipped
        truth.model.backends["cpu"]?.eta = 1.5
        truth.cpuWeightsPerCycle["F16"] = 1000
        truth.cpuWeightsPerCycle["Q4_0"] = 3
        let measurements = [
            try Self.measurement("F16", test: (0, 32), truth: truth, machine: machine),
            try Self.measurement("Q4_0", test: (0, 32), truth: truth, machine: machine),
        ]
        let calibration = Self.fit(measurements, date: Date())
        #expect(abs(try #require(calibration.cpuEta) / 1.5 - 1) < 2e-3)
        #expect(abs(try #require(calibration.cpuWeightsPerCycle["Q4_0"]) / 3 - 1) < 2e-3)
        #expect(calibration.applied(to: shipped).model.backends["cpu"]?.eta == calibration.cpuEta)
        #expect((calibration.residual?.worst ?? 1) < 2e-3)
    }

    /// A new llama.cpp build where the calibration's llama-bench was (or none there) marks it
    /// stale, and the basis says so; the same file does not.
    @Test func aChangedLlamaBenchMarksItStale() throws {
        let recorded = Date(timeIntervalSince1970: 1_796_688_000)
        var calibration = Self.fit([], date: recorded)
        #expect(calibration.staleness(llamaBenchModifiedNow: nil) == nil)
        calibration.llamaBenchPath = "/opt/llama/llama-bench"
        calibration.llamaBenchModified = recorded
        #expect(calibration.staleness(llamaBenchModifiedNow: recorded) == nil)
        let newer = calibration.staleness(llamaBenchModifiedNow: recorded.addingTimeInterval(86_400))
        #expect(newer == "/opt/llama/llama-bench changed since (a new llama.cpp build)")
        #expect(calibration.staleness(llamaBenchModifiedNow: nil) == "/opt/llama/llama-bench is gone since")
        let note = calibration.applied(to: FitEngineTests.efficiency, stale: newer).cpuCalibration ?? ""
        #expect(note.hasPrefix(MachineCalibration.notePrefix))
        #expect(
            note.hasSuffix(
                "; stale: /opt/llama/llama-bench changed since (a new llama.cpp build), run canrun calibrate again"
            )
        )
    }

    /// A stored calibration reaches the speed model only with names and numbers in range.
    @Test func aHostileCalibrationIsRefusedWithWhatIsWrong() throws {
        let fine = Self.fit([], date: Date(timeIntervalSince1970: 0))
        #expect(try fine.validated() == fine)
        var rate = fine
        rate.cpuWeightsPerCycle = ["Q4_0": -1]
        #expect(
            throws: MachineCalibration.InvalidCalibration(
                description: "decode weights per cycle of Q4_0 is -1.0, outside 0.05 to 200.0"
            )
        ) {
            try rate.validated()
        }
        var eta = fine
        eta.cpuPrefillEta = ["Q8_0": .infinity]
        #expect(throws: MachineCalibration.InvalidCalibration.self) { try eta.validated() }
        var name = fine
        name.cpuWeightsPerCycle = ["Q4_0; rm -rf": 2]
        #expect(
            throws: MachineCalibration.InvalidCalibration(
                description: "decode weights per cycle: 'Q4_0; rm -rf' is no weight type"
            )
        ) {
            try name.validated()
        }
        // A run's speeds reach the note's measured ÷ predicted: a zero or an overflow would trap
        // there (canrund read this at every start).
        for speeds in [(0.0, 5.0), (5.0, 1e308), (.nan, 5.0)] {
            var run = fine
            run.runs = [.init(family: "Q4_0", test: "tg32", measuredTokensPerS: speeds.0, predictedAfter: speeds.1)]
            #expect(throws: MachineCalibration.InvalidCalibration.self, "\(speeds)") { try run.validated() }
        }
        var many = fine
        many.runs = Array(repeating: .init(family: "Q4_0", test: "tg32", measuredTokensPerS: 5), count: 65)
        #expect(throws: MachineCalibration.InvalidCalibration(description: "65 runs")) { try many.validated() }
        var share = fine
        share.cpuEta = 1e9
        #expect(
            throws: MachineCalibration.InvalidCalibration(
                description: "the stream share is 1000000000.0, outside 0.1 to 4"
            )
        ) {
            try share.validated()
        }
    }

    @Test func solveFindsTheSmallestRateReachingTheTarget() {
        #expect(abs(MachineCalibration.solve(target: 4, range: 0.01...100) { $0 * 2 }! - 2) < 1e-9)
        // Capped at 10: the smallest x within 0.1 % of the cap.
        #expect(abs(MachineCalibration.solve(target: 50, range: 0.01...100) { min($0, 10) }! - 9.99) < 1e-6)
        #expect(MachineCalibration.solve(target: 1, range: 0.01...100) { _ in nil } == nil)
    }
}
