import CanrunCore
import Foundation

/// Keeps the last measurement in the state directory (`$XDG_STATE_HOME/canrun/bandwidth.json`,
/// else `~/.local/state/canrun/`; the daemon's `/var/lib/canrun/`), so it is not re-run on every
/// call. A cache whose fingerprint differs from this hardware, or that does not decode, is
/// ignored with a reason.
public struct BandwidthCache: Sendable {
    public let path: String

    public init(directory: String) {
        path = directory + "/bandwidth.json"
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

    public func load(fingerprint: String) -> Lookup {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .miss(reason: "no cached measurement")
        }
        guard let report = try? ProfileJSON.decoder().decode(BandwidthReport.self, from: data) else {
            return .miss(reason: "cached measurement at \(path) is corrupt; it will be replaced")
        }
        guard report.fingerprint == fingerprint else {
            return .miss(reason: "cached measurement is of other hardware (fingerprint \(report.fingerprint))")
        }
        return .hit(report)
    }

    /// Writes atomically (temporary file + rename), so a crash never leaves half a file. The
    /// measurement it replaces, when of the same hardware, goes into the new one's
    /// `earlierReads`: the stored report, history included, is returned.
    @discardableResult
    public func store(_ report: BandwidthReport) throws -> BandwidthReport {
        var stored = report
        if case .hit(let earlier) = load(fingerprint: report.fingerprint) { stored = report.following(earlier) }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ProfileJSON.encoder().encode(stored).write(to: url, options: .atomic)
        return stored
    }
}
