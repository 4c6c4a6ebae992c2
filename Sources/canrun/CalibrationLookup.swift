import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// This machine's calibration (`canrun calibrate`), applied where it belongs: the daemon's when
/// the machine came from the daemon (its answers and the CLI's are then the same), else the
/// user's own.
enum CalibrationLookup {
    /// The user's calibration, as it stands for `machine`.
    static func userState(for machine: MachineProfile) -> CalibrationState {
        CalibrationStore(directory: BandwidthCache.userStateDirectory()).state(
            for: machine,
            llamaBenchNow: try? LlamaBenchRunner.locate(explicit: nil, environment: ProcessInfo.processInfo.environment)
        )
    }

    /// `advisor` with the calibrated CPU rates `state` holds. With `thisMachine`, a calibration
    /// canrun cannot use (another machine's, or unreadable) is said on stderr.
    static func calibrated(_ advisor: Advisor, with state: CalibrationState, thisMachine: Bool) -> Advisor {
        if state.status == .unusable, thisMachine, let problem = state.problem {
            FileHandle.standardError.write(Data("canrun: \(problem); the shipped rates answer\n".utf8))
        }
        var calibrated = advisor
        calibrated.engine = FitEngine(
            quants: advisor.engine.quants,
            efficiency: state.applied(to: advisor.engine.efficiency)
        )
        return calibrated
    }
}
