import CanrunCore
import Foundation

/// The verifications canrun has run on this machine, newest last, in the user's state folder
/// (`verifications.json`, at most `limit`): what issue 14's calibration learns from.
public struct VerificationLog: Sendable {
    public var directory: String
    public var limit = 100
    static let name = "verifications.json"

    public init(directory: String) { self.directory = directory }

    /// The stored verifications; none when there is no file yet.
    public func load() throws -> [Verification] {
        let path = directory + "/" + Self.name
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let bytes = try SafeFile.bytes(path, limit: .machineProfile)
        do {
            return try ProfileJSON.decoder().decode([Verification].self, from: Data(bytes))
        } catch {
            throw FileError(path: path, problem: .system(step: "decode it (\(error)); move it aside to start afresh"))
        }
    }

    /// Adds `verification`, dropping the oldest beyond `limit`; the file is replaced whole.
    public func append(_ verification: Verification) throws {
        let all = (try load() + [verification]).suffix(limit)
        let folder = try DirectoryHandle.open(directory, creating: 0o700)
        try folder.replaceAtomically(Self.name, contents: Array(try ProfileJSON.encoder().encode(Array(all))))
    }
}
