import CanrunCore
import CanrunProbe
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A recorded folder in one input, so the fuzzer can grow trees: records, each a header line
/// then content up to the next header.
///
///     @@ proc/cpuinfo            a file (content follows)
///     @@ sys/class/x -> ../../y  a symbolic link (no content)
///     @@ cpuinfo |fifo           a FIFO
///
/// Paths are relative; `.` and `..` components are dropped, and a record whose path runs
/// through a link or a file is skipped, so the tree is written inside the scratch folder only.
/// Link targets are anything: that replay never leaves its recording is what is tested.
struct ReplayTree {
    enum Entry: Equatable {
        case file([UInt8])
        case link(String)
        case fifo
    }

    static let maxEntries = 256
    static let maxDepth = 12

    var entries: [(path: [String], entry: Entry)] = []

    init(_ bytes: [UInt8]) {
        let marker = Array("@@ ".utf8)
        var records: [ArraySlice<UInt8>] = []
        var start: Int? = nil
        var i = 0
        while i < bytes.count {
            if (i == 0 || bytes[i - 1] == UInt8(ascii: "\n")) && bytes[i...].starts(with: marker) {
                if let s = start { records.append(bytes[s..<max(s, i - 1)]) }
                start = i + marker.count
                i += marker.count
                continue
            }
            i += 1
        }
        if let s = start { records.append(bytes[s..<bytes.count]) }
        for record in records.prefix(Self.maxEntries) {
            let newline = record.firstIndex(of: UInt8(ascii: "\n")) ?? record.endIndex
            let header = String(decoding: record[record.startIndex..<newline], as: UTF8.self)
            let content = newline < record.endIndex ? Array(record[(newline + 1)...]) : []
            let entry: Entry
            let name: Substring
            if let arrow = header.range(of: " -> ") {
                name = header[..<arrow.lowerBound]
                entry = .link(String(header[arrow.upperBound...]))
            } else if header.hasSuffix(" |fifo") {
                name = header.dropLast(6)
                entry = .fifo
            } else {
                name = Substring(header)
                entry = .file(content)
            }
            let path = name.split(separator: "/").map(String.init).filter {
                $0 != "." && $0 != ".." && !$0.contains("\0")
            }
            guard !path.isEmpty, path.count <= Self.maxDepth, path.allSatisfy({ $0.utf8.count <= 200 }) else {
                continue
            }
            entries.append((path, entry))
        }
    }

    /// Writes the tree into a new folder of `scratch`, replays it as
    /// `canrun probe --replay FOLDER` does, and removes it (inputs may run side by side).
    func replay(in scratch: String) throws -> ProbeReadings {
        var template = Array((scratch + "/tree-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let root = String(cString: made)
        defer { Self.remove(root) }
        write(under: root)
        return try ReplaySource.read(root)
    }

    /// Creates every entry beneath `root`, an existing folder.
    func write(under root: String) {
        for (path, entry) in entries { Self.write(path, entry, under: root) }
    }

    /// Creates one entry when every folder on its way is a real folder of the tree (made here
    /// when missing) and the entry itself does not exist yet.
    private static func write(_ path: [String], _ entry: Entry, under root: String) {
        var folder = root
        for component in path.dropLast() {
            folder += "/" + component
            var info = stat()
            if lstat(folder, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { return }
            } else if mkdir(folder, 0o700) != 0 {
                return
            }
        }
        let target = folder + "/" + path[path.count - 1]
        var info = stat()
        guard lstat(target, &info) != 0 else { return }
        switch entry {
        case .link(let destination):
            _ = symlink(destination, target)
        case .fifo:
            _ = mkfifo(target, 0o600)
        case .file(let content):
            let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return }
            defer { close(fd) }
            _ = content.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
    }

    /// Removes `path` and everything beneath it without following a link.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
                for name in names { remove(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
