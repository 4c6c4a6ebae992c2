import Foundation

/// What `canrun --version` and `canrund --version` say: the release, the git commit it was built
/// from, and which data it answers with (a digest of the data files: two installs answer alike
/// when their digests match).
public struct BuildInfo: Sendable, Equatable {
    public var version: String
    /// The commit, and where it was read: the `BUILD` file an install wrote, or a checkout's git.
    public var commit: String?
    public var commitSource: String?
    /// The data files' digest (`digest`), the folder and how many files went into it.
    public var data: String?
    public var dataFolder: String?
    public var dataFiles: Int

    public init(
        version: String = CanrunVersion.current,
        commit: String? = nil,
        commitSource: String? = nil,
        data: String? = nil,
        dataFolder: String? = nil,
        dataFiles: Int = 0
    ) {
        self.version = version
        self.commit = commit
        self.commitSource = commitSource
        self.data = data
        self.dataFolder = dataFolder
        self.dataFiles = dataFiles
    }

    /// Three lines: `canrun 0.1.0`, the commit and where it came from, the data digest and folder.
    public func text(program: String) -> String {
        let commitLine =
            commit.map { "commit \($0.prefix(12))" + (commitSource.map { " (\($0))" } ?? "") }
            ?? "commit unknown (not built from a git checkout, and no BUILD file beside the data)"
        let dataLine =
            data.map { "data \($0) (\(dataFiles) files in \(dataFolder ?? "?"))" }
            ?? "data not found (set CANRUN_DATA_DIR)"
        return "\(program) \(version)\n\(commitLine)\n\(dataLine)"
    }

    /// 64-bit FNV-1a over each file's name and bytes, in name order: stable across machines.
    public static func digest(_ files: [(name: String, bytes: [UInt8])]) -> String {
        var bytes: [UInt8] = []
        for file in files.sorted(by: { $0.name < $1.name }) {
            bytes += Array(file.name.utf8) + [0] + file.bytes + [0]
        }
        return HardwareFingerprint.fnv1a(bytes)
    }

    /// The commit a git `HEAD` names: itself when detached, else its branch's, from the loose
    /// ref (`ref`) or `packed-refs`; nil when neither has it.
    public static func commit(head: String, ref: (String) -> String?, packedRefs: String?) -> String? {
        let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
        if isCommit(line) { return line }
        guard line.hasPrefix("ref: ") else { return nil }
        let name = String(line.dropFirst(5))
        guard !name.contains(".."), name.hasPrefix("refs/") else { return nil }
        if let loose = ref(name)?.trimmingCharacters(in: .whitespacesAndNewlines), isCommit(loose) { return loose }
        for entry in (packedRefs ?? "").split(separator: "\n") where !entry.hasPrefix("#") {
            let parts = entry.split(separator: " ")
            if parts.count == 2, parts[1] == name, isCommit(String(parts[0])) { return String(parts[0]) }
        }
        return nil
    }

    /// A full SHA-1 or SHA-256 object name, lowercase hex.
    public static func isCommit(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
