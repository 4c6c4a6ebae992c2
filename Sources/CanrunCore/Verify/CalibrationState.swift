import Foundation

/// Whether a stored calibration answers for a machine, and why not when it does not: what the
/// CLI applies to its own answers and canrund serves (`GET /v1/calibration`), so that the CLI
/// answering with the daemon's machine also answers with the daemon's calibration, byte for byte.
public struct CalibrationState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// The calibration is of this hardware: the answers use its rates.
        case applied
        /// There is no calibration: the shipped rates answer.
        case none
        /// There is one, but canrun cannot use it (another machine's, or unreadable): the
        /// shipped rates answer, and `problem` says why.
        case unusable
    }

    public var status: Status
    /// The file the calibration is (or would be) kept in.
    public var path: String
    /// The calibration, when `applied`.
    public var calibration: MachineCalibration?
    /// Why an applied calibration may no longer hold (`MachineCalibration.staleness`).
    public var stale: String?
    /// Why an `unusable` one is not used, and what to do.
    public var problem: String?

    public init(
        status: Status,
        path: String,
        calibration: MachineCalibration? = nil,
        stale: String? = nil,
        problem: String? = nil
    ) {
        self.status = status
        self.path = path
        self.calibration = calibration
        self.stale = stale
        self.problem = problem
    }

    /// Why this machine should be calibrated again (`[calibration] when_idle`): none, an
    /// unusable one, or a stale one; nil when an up-to-date calibration answers.
    public var reasonToCalibrate: String? {
        switch status {
        case .none: "there is no calibration of this machine"
        case .unusable: problem ?? "\(path) cannot be used"
        case .applied: stale.map { "the calibration is stale: \($0)" }
        }
    }

    /// No calibration in `path`.
    public static func none(path: String) -> CalibrationState { .init(status: .none, path: path) }

    /// `table` with the calibrated rates when `applied`; `table` itself otherwise.
    public func applied(to table: EfficiencyTable) -> EfficiencyTable {
        guard status == .applied, let calibration else { return table }
        return calibration.applied(to: table, stale: stale)
    }

    /// This state for a machine of `fingerprint`: an applied calibration of other hardware
    /// (the machine was edited, `--ram 64G`) is unusable there.
    public func restricted(to fingerprint: String) -> CalibrationState {
        guard status == .applied, let calibration, calibration.fingerprint != fingerprint else { return self }
        return .of(calibration, path: path, fingerprint: fingerprint, llamaBenchModified: nil)
    }

    /// The state of `calibration` (nil: none was stored) for a machine of `fingerprint`, the
    /// llama-bench it ran modified at `llamaBenchModified` now (nil: gone or never recorded), and
    /// `otherLlamaBench`, the one that would run now when it is another file.
    public static func of(
        _ calibration: MachineCalibration?,
        path: String,
        fingerprint: String,
        llamaBenchModified: Date?,
        otherLlamaBench: String? = nil
    ) -> CalibrationState {
        guard let calibration else { return .none(path: path) }
        guard calibration.fingerprint == fingerprint else {
            return .init(
                status: .unusable,
                path: path,
                problem: "\(path) is of other hardware (the CPU or memory changed): run canrun calibrate again"
            )
        }
        return .init(
            status: .applied,
            path: path,
            calibration: calibration,
            stale: calibration.staleness(llamaBenchModifiedNow: llamaBenchModified, other: otherLlamaBench)
        )
    }
}
