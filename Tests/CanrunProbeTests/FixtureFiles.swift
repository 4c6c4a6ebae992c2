import CanrunCore
import CanrunProbe
import Foundation

/// The recorded machines of `Tests/Fixtures` (copied from the shared fixture set; provenance in
/// its README) and helpers to unpack them.
enum FixtureFiles {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()

    static let repository: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    static let gpuTable: GPUTable = {
        let text = (try? String(contentsOfFile: repository + "/config/gpus.toml", encoding: .utf8)) ?? ""
        return (try? GPUTable(toml: text)) ?? GPUTable(entries: [])
    }()

    /// A fresh temporary folder, removed by the caller.
    static func temporaryFolder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// Unpacks a `.tar.bz2`/`.tar.gz` fixture with the system tar into a new folder.
    /// A tar that does not finish cleanly is an error here, not a half tree for the test to
    /// misread (a full-suite run once saw 22 of a fixture's 23 PCI functions).
    static func unpack(_ relative: String) throws -> String {
        let folder = try temporaryFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = ["-xf", path(relative), "-C", folder]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "tar -xf \(relative): \(message)"])
        }
        return folder
    }

    /// Unpacks a Prometheus "ttar" text archive (`Path:`/`Lines:`/`Mode:`/`SymlinkTo:` records).
    static func unpackTtar(_ relative: String) throws -> String {
        let folder = try temporaryFolder()
        let lines = try String(contentsOfFile: path(relative), encoding: .utf8).split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        var index = 0
        let fm = FileManager.default
        while index < lines.count {
            if lines[index].hasPrefix("Directory: ") {
                try fm.createDirectory(
                    atPath: folder + "/" + lines[index].dropFirst(11),
                    withIntermediateDirectories: true
                )
            }
            guard lines[index].hasPrefix("Path: ") else {
                index += 1
                continue
            }
            let target = folder + "/" + lines[index].dropFirst(6)
            index += 1
            if index < lines.count, lines[index].hasPrefix("Lines: "), let count = Int(lines[index].dropFirst(7)) {
                let body = lines[(index + 1)..<min(lines.count, index + 1 + count)].joined(separator: "\n")
                try fm.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                _ = fm.createFile(atPath: target, contents: Data((body + (count > 0 ? "\n" : "")).utf8))
                index += 1 + count
            } else if index < lines.count, lines[index].hasPrefix("SymlinkTo: ") {
                try fm.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                try? fm.createSymbolicLink(atPath: target, withDestinationPath: String(lines[index].dropFirst(11)))
                index += 1
            }
        }
        return folder
    }

    static func remove(_ folder: String) { try? FileManager.default.removeItem(atPath: folder) }
}
