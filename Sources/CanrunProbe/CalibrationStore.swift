import CanrunCore
import Foundation

/// This machine's calibration (`MachineCalibration`) in canrun's state folder
/// (`calibration.json`), and the synthetic models it is measured on, kept in canrun's cache
/// folder so a second calibration does not write them again.
public struct CalibrationStore: Sendable {
    public var directory: String
    static let name = "calibration.json"

    public init(directory: String) { self.directory = directory }

    public var path: String { directory + "/" + Self.name }

    /// Why the stored calibration cannot be used: the file, what is wrong, and what to do.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The stored calibration; nil when there is none.
    public func load() throws(LoadError) -> MachineCalibration? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes: [UInt8]
        do {
            bytes = try SafeFile.bytes(path, limit: .machineProfile)
        } catch {
            throw LoadError(description: "\(error)")
        }
        do {
            return try ProfileJSON.decoder().decode(MachineCalibration.self, from: Data(bytes)).validated()
        } catch {
            throw LoadError(
                description: "\(path) is no calibration canrun can use (\(error)): run canrun calibrate again"
            )
        }
    }

    /// Whether the stored calibration answers for `machine`: applied when it is of this
    /// hardware (and stale when the llama-bench it ran changed since, or `llamaBenchNow`, the one
    /// that would run now, is another file), unusable with the reason when it is another
    /// machine's or cannot be read, none when there is none.
    public func state(for machine: MachineProfile, llamaBenchNow: String? = nil) -> CalibrationState {
        let stored: MachineCalibration?
        do {
            stored = try load()
        } catch {
            return CalibrationState(status: .unusable, path: path, problem: error.description)
        }
        let modified = stored?.llamaBenchPath.flatMap {
            (try? FileManager.default.attributesOfItem(atPath: $0))?[.modificationDate] as? Date
        }
        func resolved(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        let other = llamaBenchNow.flatMap { now in
            stored?.llamaBenchPath.flatMap { resolved($0) == resolved(now) ? nil : now }
        }
        return .of(
            stored,
            path: path,
            fingerprint: HardwareFingerprint.of(machine),
            llamaBenchModified: modified,
            otherLlamaBench: other
        )
    }

    public func save(_ calibration: MachineCalibration) throws {
        let folder = try DirectoryHandle.open(directory, creating: 0o700)
        try folder.replaceAtomically(Self.name, contents: Array(try ProfileJSON.encoder().encode(calibration)))
    }

    /// canrun's cache folder for generated files: `$XDG_CACHE_HOME/canrun`, else
    /// `~/.cache/canrun`.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/canrun" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/canrun"
    }

    /// The GGUF of `model` in `folder`, written when it is not there yet (or not whole).
    public static func syntheticFile(
        _ model: SyntheticModel,
        quants: QuantTable,
        in folder: String
    ) throws -> String {
        let header = try model.header(quants: quants)
        let layout = try header.laidOut()
        let size = Int64(layout.head.count) + Int64(layout.dataBytes)
        _ = try DirectoryHandle.open(folder, creating: 0o755)
        let path = folder + "/\(model.name).gguf"
        let existing = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
        if existing != size { try SyntheticGGUFFile.write(header, to: path) }
        return path
    }
}
