import CanrunShims
import Foundation

/// A path prefix under which the probe finds `/sys`, `/proc`, `/run/udev` and `/dev`.
///
/// `/` on a live machine; an unpacked `hwloc-gather-topology` tree, a ghw snapshot or a
/// `canrun probe --record` folder in replays and tests. Everything read under a recorded root
/// stays beneath it (`BeneathRoot`): a link that leads out of the recording is refused, and
/// no file's last component is followed.
public struct HostRoot: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    /// How paths beneath a recorded root are resolved.
    public let resolution: BeneathRoot.Resolution

    public init(_ path: String, resolution: BeneathRoot.Resolution = .kernel) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.resolution = resolution
    }

    public static let live = HostRoot("/")

    public var isLive: Bool { path == "/" }

    /// `absolute` (which starts with `/`) under this root.
    public func resolve(_ absolute: String) -> String {
        isLive ? absolute : path + absolute
    }

    public var description: String { path }

    /// Where `path` (one `resolve` gave, or below it) is read from: the path itself on a live
    /// machine, else the part below the root, resolved beneath it.
    public func location(_ path: String) -> SafeFile.Location {
        guard !isLive else { return .system(path) }
        return .beneath(BeneathRoot(self.path, resolution: resolution), relative(path) ?? "..", path: path)
    }

    /// `path` below the root (no leading `/`), or nil when it is not below it. A path below the
    /// root's real path counts too (callers that resolved links themselves).
    func relative(_ path: String) -> String? {
        if path == self.path { return "" }
        if path.hasPrefix(self.path + "/") { return String(path.dropFirst(self.path.count + 1)) }
        if let real = BeneathRoot.realPath(self.path), real != self.path, path.hasPrefix(real + "/") {
            return String(path.dropFirst(real.count + 1))
        }
        return nil
    }

    /// The file at `path`, at most `limit.bytes`.
    public func bytes(_ path: String, limit: ReadLimit) throws(FileError) -> [UInt8] {
        try SafeFile.bytes(location(path), limit: limit)
    }

    /// The file at `path` as text.
    public func text(_ path: String, limit: ReadLimit) throws(FileError) -> String {
        try SafeFile.text(location(path), limit: limit)
    }

    /// A sysfs attribute's value, trimmed; nil when absent or unreadable (attributes missing
    /// from a kernel or a recording are normal).
    public func attribute(_ path: String) -> String? {
        (try? text(path, limit: .sysfsAttribute))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `attribute` as an integer.
    public func int64(_ path: String) -> Int64? { attribute(path).flatMap { Int64($0) } }

    /// The names in the folder at `path` (at most `DirectoryEntries.limit`), nil when it is not
    /// a folder that can be read.
    public func list(_ path: String) -> [String]? {
        switch location(path).openDirectory() {
        case .success(let fd): return DirectoryEntries.names(fd)
        case .failure: return nil
        }
    }

    /// Whether something is named `path` (a link in its last component not followed). Under a
    /// recorded root, a path that leads out of it counts as present, so that reading it reports
    /// the refusal instead of passing over it in silence.
    public func exists(_ path: String) -> Bool {
        switch location(path).open(flags: canrun_o_path) {
        case .success(let fd):
            close(fd)
            return true
        case .failure(let error):
            if case .outsideRoot = error.problem { return true }
            return false
        }
    }

    /// The target of the symbolic link at `path`, nil when it is not one.
    public func linkTarget(_ path: String) -> String? {
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        guard case .success(let fd) = location(parent).openFollowing(flags: canrun_o_path | O_DIRECTORY) else {
            return nil
        }
        defer { close(fd) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(fd, name, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension SafeFile.Location {
    /// Opens with links followed to the end (within a recording's root): folders, `exists`.
    func openFollowing(flags: Int32) -> Result<Int32, FileError> {
        var following = self
        following.followsLastLink = true
        return following.open(flags: flags)
    }

    /// Opens a folder for listing.
    func openDirectory() -> Result<Int32, FileError> {
        openFollowing(flags: O_RDONLY | O_DIRECTORY)
    }
}

/// Reads a folder's names from a descriptor, bounded.
enum DirectoryEntries {
    /// More names than any folder canrun lists holds (sysfs's largest, the CPUs and memory
    /// blocks of a big machine, hold a few thousand).
    static let limit = 1 << 16

    /// The names (without `.` and `..`); takes ownership of `fd`.
    static func names(_ fd: Int32) -> [String]? {
        guard let dir = fdopendir(fd) else {
            close(fd)
            return nil
        }
        defer { closedir(dir) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
