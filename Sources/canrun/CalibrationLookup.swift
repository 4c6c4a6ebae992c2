import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// The user's calibration of this machine (`canrun calibrate`), applied where it belongs.
enum CalibrationLookup {
    /// `advisor` with this machine's calibrated CPU rates when the user's calibration is of
    /// `machine`'s hardware; as it is otherwise. With `thisMachine`, a calibration of other
    /// hardware (a changed CPU or memory), or one canrun cannot read, is said on stderr.
    static func calibrated(_ advisor: Advisor, for machine: MachineProfile, thisMachine: Bool) -> Advisor {
        let store = CalibrationStore(directory: BandwidthCache.userStateDirectory())
        func say(_ problem: String) {
            guard thisMachine else { return }
            FileHandle.standardError.write(Data("canrun: \(problem); the shipped rates answer\n".utf8))
        }
        let stored: MachineCalibration?
        do {
            stored = try store.load()
        } catch {
            say(error.description)
            return advisor
        }
        guard let calibration = stored else { return advisor }
        guard calibration.fingerprint == HardwareFingerprint.of(machine) else {
            say("\(store.path) is of other hardware (the CPU or memory changed): run canrun calibrate again")
            return advisor
        }
        let modified = calibration.llamaBenchPath.flatMap {
            (try? FileManager.default.attributesOfItem(atPath: $0))?[.modificationDate] as? Date
        }
        var calibrated = advisor
        calibrated.engine = FitEngine(
            quants: advisor.engine.quants,
            efficiency: calibration.applied(
                to: advisor.engine.efficiency,
                stale: calibration.staleness(llamaBenchModifiedNow: modified)
            )
        )
        return calibrated
    }
}
