import CanrunCore
import Foundation

/// Reads the memory-device and processor facts of SMBIOS, from the best source permitted:
/// the raw table (`/sys/firmware/dmi/tables/DMI`, root only), the per-entry files of the
/// `dmi-sysfs` module, then udev's database, which non-root users can read.
public enum SMBIOSSource {
    public struct Result: Sendable, Equatable {
        public var reading: SMBIOSReading?
        /// The raw table bytes when they were readable (a recording stores them).
        public var rawTable: [UInt8]?
        /// The udev database text when it was the source.
        public var udevDatabase: String?
        public var warnings: [String]
    }

    /// What systemd writes in place of the table when it could not load it
    /// (`SetCredential=dmi:unavailable` in canrund.service).
    public static let unavailableSentinel = "unavailable"

    /// - Parameter tableCopy: a copy of the raw table that someone allowed to read it made
    ///   (systemd's `LoadCredential=dmi:…` gives canrund `$CREDENTIALS_DIRECTORY/dmi`), read
    ///   before the root-only original.
    public static func read(root: HostRoot, tableCopy: String? = nil) -> Result {
        var warnings: [String] = []
        if let tableCopy {
            switch Swift.Result(catching: { () throws(FileError) in
                try SafeFile.bytes(tableCopy, limit: .smbiosTable)
            }) {
            case .success(let bytes):
                if String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    == unavailableSentinel
                {
                    warnings.append("systemd could not load the SMBIOS table for canrund (\(tableCopy) says so)")
                } else {
                    let decoded = SMBIOSTableDecoder.decode(bytes)
                    return Result(
                        reading: decoded.reading,
                        rawTable: bytes,
                        udevDatabase: nil,
                        warnings: decoded.problems
                    )
                }
            case .failure(let error):
                warnings.append("the copy of the SMBIOS table not used: \(error)")
            }
        }
        let tablePath = root.resolve("/sys/firmware/dmi/tables/DMI")
        switch Swift.Result(catching: { () throws(FileError) in try root.bytes(tablePath, limit: .smbiosTable) }) {
        case .success(let bytes):
            let decoded = SMBIOSTableDecoder.decode(bytes)
            warnings += decoded.problems
            return Result(reading: decoded.reading, rawTable: bytes, udevDatabase: nil, warnings: warnings)
        case .failure(let error) where error.problem == .permissionDenied:
            warnings.append(
                "SMBIOS table not readable without root (\(tablePath)): memory modules from udev's database if present; run as root (or ask canrund) for the full table"
            )
        case .failure(let error) where error.problem == .notFound:
            break
        case .failure(let error):
            warnings.append("SMBIOS table not used: \(error)")
        }
        if let entries = entryFiles(root: root) {
            let decoded = SMBIOSTableDecoder.decode(entries)
            warnings += decoded.problems
            return Result(reading: decoded.reading, rawTable: entries, udevDatabase: nil, warnings: warnings)
        }
        let udevPath = root.resolve("/run/udev/data/+dmi:id")
        if let text = try? root.text(udevPath, limit: .udevDatabase), let reading = UdevMemoryReader.read(text) {
            return Result(reading: reading, rawTable: nil, udevDatabase: text, warnings: warnings)
        }
        if warnings.isEmpty {
            warnings.append(
                "no SMBIOS table (\(tablePath) absent, as in most VMs): memory modules, channels and peak bandwidth unknown"
            )
        } else {
            warnings.append("udev's database has no memory devices either: memory modules unknown")
        }
        return Result(reading: nil, rawTable: nil, udevDatabase: nil, warnings: warnings)
    }

    /// `/sys/firmware/dmi/entries/{4,17}-N/raw` concatenated in entry order, or nil.
    private static func entryFiles(root: HostRoot) -> [UInt8]? {
        let base = root.resolve("/sys/firmware/dmi/entries")
        guard let names = root.list(base) else { return nil }
        let wanted = names.filter { $0.hasPrefix("17-") || $0.hasPrefix("4-") }.sorted { a, b in
            let pa = a.split(separator: "-").compactMap { Int($0) }
            let pb = b.split(separator: "-").compactMap { Int($0) }
            return pa.lexicographicallyPrecedes(pb)
        }
        var bytes: [UInt8] = []
        for name in wanted {
            guard let raw = try? root.bytes(base + "/" + name + "/raw", limit: .smbiosTable) else { continue }
            bytes += raw
        }
        return bytes.isEmpty ? nil : bytes
    }
}
