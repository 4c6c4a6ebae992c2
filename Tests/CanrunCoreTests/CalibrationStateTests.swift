import CanrunCore
import Foundation
import Testing

/// `CalibrationState`: a calibration answers only for its own hardware, says when its llama-bench
/// changed, and leaves the shipped table alone otherwise.
struct CalibrationStateTests {
    static let path = "/var/lib/canrun/calibration.json"
    static let recorded = Date(timeIntervalSince1970: 1_796_688_000)

    static func calibration() -> MachineCalibration {
        var calibration = MachineCalibrationTests.fit([], date: recorded)
        calibration.cpuWeightsPerCycle = ["Q4_0": 1.5]
        calibration.llamaBenchPath = "/opt/llama/llama-bench"
        calibration.llamaBenchModified = recorded
        return calibration
    }

    /// `calibration`'s state on the hardware it was made on, its llama-bench modified at `modified`.
    static func ofItsOwnHardware(_ calibration: MachineCalibration, modified: Date?) -> CalibrationState {
        .of(calibration, path: path, fingerprint: calibration.fingerprint, llamaBenchModified: modified)
    }

    @Test func noneLeavesTheTableAsShipped() {
        let state = CalibrationState.of(nil, path: Self.path, fingerprint: "abc", llamaBenchModified: nil)
        #expect(state == .none(path: Self.path))
        #expect(state.applied(to: FitEngineTests.efficiency) == FitEngineTests.efficiency)
    }

    @Test func itsOwnHardwareAppliesIt() {
        let calibration = Self.calibration()
        let state = Self.ofItsOwnHardware(calibration, modified: Self.recorded)
        #expect(state.status == .applied)
        #expect(state.stale == nil)
        let table = state.applied(to: FitEngineTests.efficiency)
        #expect(table.cpuWeightsPerCycle["Q4_0"] == 1.5)
        #expect(table.cpuCalibration == calibration.note)
    }

    @Test func aNewLlamaBenchMarksItStaleButApplied() {
        let calibration = Self.calibration()
        let state = Self.ofItsOwnHardware(
            calibration,
            modified: Self.recorded.addingTimeInterval(3600)
        )
        #expect(state.status == .applied)
        #expect(state.stale == "/opt/llama/llama-bench changed since (a new llama.cpp build)")
        #expect(state.applied(to: FitEngineTests.efficiency).cpuCalibration == calibration.note(stale: state.stale))
    }

    /// A llama.cpp build elsewhere (another llama-bench found, or configured, than the one
    /// calibrated with) marks it stale too, and asks for another calibration.
    @Test func anotherLlamaBenchMarksItStale() {
        let calibration = Self.calibration()
        let state = CalibrationState.of(
            calibration,
            path: Self.path,
            fingerprint: calibration.fingerprint,
            llamaBenchModified: Self.recorded,
            otherLlamaBench: "/usr/local/bin/llama-bench"
        )
        #expect(state.status == .applied)
        #expect(
            state.stale
                == "llama-bench is now /usr/local/bin/llama-bench, not the /opt/llama/llama-bench it was calibrated with"
        )
        #expect(state.reasonToCalibrate?.hasPrefix("the calibration is stale: llama-bench is now") == true)
    }

    /// Another machine's calibration (the fingerprint differs), and an applied one for an edited
    /// machine (`--ram 64G` changes the fingerprint), answer with the shipped table and say why.
    @Test func otherHardwareIsUnusable() {
        let calibration = Self.calibration()
        let other = CalibrationState.of(calibration, path: Self.path, fingerprint: "other", llamaBenchModified: nil)
        #expect(other.status == .unusable)
        #expect(other.calibration == nil)
        #expect(
            other.problem == "\(Self.path) is of other hardware (the CPU or memory changed): run canrun calibrate again"
        )
        #expect(other.applied(to: FitEngineTests.efficiency) == FitEngineTests.efficiency)

        let applied = Self.ofItsOwnHardware(calibration, modified: Self.recorded)
        #expect(applied.restricted(to: calibration.fingerprint) == applied)
        #expect(applied.restricted(to: "other") == other)
    }

    /// What makes canrund calibrate when idle: none, an unusable or a stale calibration; an
    /// up-to-date one does not.
    @Test func aMissingUnusableOrStaleCalibrationWantsAnother() {
        let calibration = Self.calibration()
        #expect(CalibrationState.none(path: Self.path).reasonToCalibrate == "there is no calibration of this machine")
        let other = CalibrationState.of(calibration, path: Self.path, fingerprint: "other", llamaBenchModified: nil)
        #expect(other.reasonToCalibrate == other.problem)
        #expect(Self.ofItsOwnHardware(calibration, modified: Self.recorded).reasonToCalibrate == nil)
        let stale = Self.ofItsOwnHardware(calibration, modified: Self.recorded.addingTimeInterval(60))
        #expect(
            stale.reasonToCalibrate
                == "the calibration is stale: /opt/llama/llama-bench changed since (a new llama.cpp build)"
        )
    }

    /// The daemon's JSON (`GET /v1/calibration`) decodes to the same state.
    @Test func roundTripsThroughTheAPIsJSON() throws {
        let calibration = Self.calibration()
        let state = Self.ofItsOwnHardware(calibration, modified: nil)
        let json = try ProfileJSON.encoder().encode(state)
        #expect(try ProfileJSON.decoder().decode(CalibrationState.self, from: json) == state)
        #expect(String(decoding: json, as: UTF8.self).contains("\"status\" : \"applied\""))
    }
}
