import CanrunCore
import CanrunProbe
import Foundation

/// Keeps the last measurement in the state directory (`$XDG_STATE_HOME/canrun/bandwidth.json`,
/// else `~/.local/state/canrun/`; the daemon's `/var/lib/canrun/`), so it is not re-run on every
/// call. A cache whose fingerprint differs from this hardware, that does not decode, or whose
/// figures this machine cannot produce (`BandwidthPlausibility`) is ignored with a reason.
///
/// The state directory cannot be turned against its owner: it is created mode 0700 with the
/// process's ownership, and refused when another user owns it, when its group or others may
/// write it (systemd's `StateDirectoryMode=0750` is fine), or when it is a symbolic link. Every
/// file operation is relative to the folder held open (`DirectoryHandle`), so a link planted in
/// it is neither read nor written through; writes are atomic (temporary file, `fsync`, rename,
/// folder `fsync`).
public struct BandwidthCache: Sendable {
    public let directory: String
    public static let fileName = "bandwidth.json"
    public var path: String { directory + "/" + Self.fileName }

    public init(directory: String) {
        self.directory = directory
    }

    /// The user's state directory per the XDG base directory specification.
    public static func userStateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String
    {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/canrun" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/canrun"
    }

    public enum Lookup: Sendable, Equatable {
        case hit(BandwidthReport)
        case miss(reason: String)
    }

    /// Stores and the clean-up of temporary files in one process never overlap (the daemon
    /// reloads while a measurement is stored).
    private static let lock = NSLock()

    /// The state directory, held open; created (0700, parents too, as XDG asks) when `create`.
    public func openDirectory(create: Bool) throws(FileError) -> DirectoryHandle {
        let handle = try DirectoryHandle.open(directory, creating: create ? 0o700 : nil, parentMode: 0o700)
        try handle.requireOwned(forbiddenMode: 0o022)
        return handle
    }

    /// The measurement kept for `machine`, when it is of this hardware and plausible here.
    public func load(for machine: MachineProfile) -> Lookup {
        load(fingerprint: HardwareFingerprint.of(machine), plausibility: BandwidthPlausibility(machine: machine))
    }

    /// The measurement kept for the hardware `fingerprint`, when its figures pass `plausibility`.
    public func load(fingerprint: String, plausibility: BandwidthPlausibility) -> Lookup {
        let bytes: [UInt8]
        do throws(FileError) {
            let handle = try openDirectory(create: false)
            bytes = try SafeFile.bytes(.inside(handle, Self.fileName), limit: .bandwidthCache)
        } catch {
            if error.problem == .notFound { return .miss(reason: "no cached measurement") }
            return .miss(reason: "cached measurement not used: \(error)")
        }
        guard let report = try? ProfileJSON.decoder().decode(BandwidthReport.self, from: Data(bytes)) else {
            return .miss(reason: "cached measurement at \(path) is corrupt; it will be replaced")
        }
        guard report.fingerprint == fingerprint else {
            return .miss(reason: "cached measurement is of other hardware (fingerprint \(report.fingerprint))")
        }
        if let problem = plausibility.problem(in: report) {
            return .miss(reason: "cached measurement at \(path) is implausible: \(problem); it will be re-measured")
        }
        return .hit(report)
    }

    /// Writes atomically, so a crash never leaves half a file. The measurement it replaces,
    /// when of the same hardware (and plausible beside this one), goes into the new one's
    /// `earlierReads`: the stored report, history included, is returned.
    @discardableResult
    public func store(_ report: BandwidthReport) throws -> BandwidthReport {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        var stored = report
        let plausibility = BandwidthPlausibility(peak: report.theoreticalPeakBytesPerS, threads: report.threads)
        if case .hit(let earlier) = load(fingerprint: report.fingerprint, plausibility: plausibility) {
            stored = report.following(earlier)
        }
        let bytes = Array(try ProfileJSON.encoder().encode(stored))
        try openDirectory(create: true).replaceAtomically(Self.fileName, contents: bytes)
        return stored
    }

    /// Forgets the kept measurement and its history (`canrun bench --reset`); a folder or file
    /// that is not there is nothing to forget.
    public func reset() throws(FileError) {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let handle: DirectoryHandle
        do throws(FileError) {
            handle = try openDirectory(create: false)
        } catch {
            if case .notFound = error.problem { return }
            throw error
        }
        try handle.remove(Self.fileName)
    }

    /// Removes the temporary files a process killed while storing left behind (the daemon does
    /// at start and on reload); returns their names. A missing or refused folder has none.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard let handle = try? openDirectory(create: false) else { return [] }
        return handle.removeTemporaries(of: Self.fileName)
    }
}
