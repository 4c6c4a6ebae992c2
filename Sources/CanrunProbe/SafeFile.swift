import CanrunShims
import Foundation

/// The one way canrun reads a file.
///
/// 1. The path is opened `O_PATH` first (nothing is opened for reading: no FIFO or device sees
///    an open) and `fstat`ed: a symbolic link (the last component is never followed unless the
///    user named the file), a FIFO, a directory, a socket or a device is refused by name, and
///    so is a file larger than the use's `ReadLimit`.
/// 2. It is opened `O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK` (so a FIFO swapped in
///    meanwhile cannot hang the read) and `fstat`ed again; that check is the one that counts.
/// 3. It is read in bounded chunks, and never past the limit: procfs files say 0 bytes and
///    sysfs attributes 4096 whatever they hold.
///
/// Every error keeps its errno and names the path (`FileError`).
public enum SafeFile {
    /// Where a file is: a path of this system, a path beneath a recording's root, or a name in
    /// a folder canrun holds open.
    public struct Location: Sendable {
        enum Base: Sendable {
            case system
            case beneath(BeneathRoot, relative: String)
            case directory(DirectoryHandle, name: String)
        }

        /// The path errors name.
        public var path: String
        var base: Base
        /// Follow a symbolic link in the last component (a file the user named: the Hugging
        /// Face cache links every file into its blob store).
        var followsLastLink = false

        /// A path of this system; a symbolic link in its last component is refused unless
        /// `followingLastLink`.
        public static func system(_ path: String, followingLastLink: Bool = false) -> Location {
            Location(path: path, base: .system, followsLastLink: followingLastLink)
        }

        /// `relative` resolved beneath `root` (`BeneathRoot`); `path` is for errors.
        public static func beneath(_ root: BeneathRoot, _ relative: String, path: String) -> Location {
            Location(path: path, base: .beneath(root, relative: relative))
        }

        /// `name` (one component) in the open folder `directory`.
        public static func inside(_ directory: DirectoryHandle, _ name: String) -> Location {
            Location(path: directory.path + "/" + name, base: .directory(directory, name: name))
        }

        func open(flags: Int32) -> Result<Int32, FileError> {
            let nofollow = followsLastLink ? 0 : O_NOFOLLOW
            let fd: Int32
            switch base {
            case .beneath(let root, let relative):
                return root.open(relative, flags: flags | nofollow).mapError {
                    FileError.opening(path, code: $0.code, root: root.path)
                }
            case .directory(let directory, let name):
                guard !name.contains("/"), name != "..", !name.isEmpty else {
                    return .failure(FileError(path: path, problem: .outsideRoot(root: directory.path), code: EXDEV))
                }
                fd = openat(directory.fd, name, flags | nofollow | O_CLOEXEC)
            case .system:
                fd = Glibc.open(path, flags | nofollow | O_CLOEXEC)
            }
            return fd >= 0 ? .success(fd) : .failure(FileError.opening(path, code: errno))
        }
    }

    /// An open regular file: its descriptor (closed with the object) and size.
    public final class Opened: @unchecked Sendable {
        public let fd: Int32
        /// `st_size`: exact for files on disk, 0 or 4096 for procfs and sysfs ones.
        public let size: Int64
        public let path: String

        init(fd: Int32, size: Int64, path: String) {
            self.fd = fd
            self.size = size
            self.path = path
        }

        deinit { close(fd) }

        /// Up to `count` bytes from the current offset; fewer only at the end of the file.
        public func read(upTo count: Int) throws(FileError) -> [UInt8] {
            // Memory grows with what the file holds, not with the bound asked for.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(min(max(0, count), Int(clamping: max(size, 4096)) + 1))
            var chunk = [UInt8](repeating: 0, count: min(max(0, count), 1 << 16))
            while bytes.count < count {
                let want = min(chunk.count, count - bytes.count)
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(path: path, problem: .system(step: "read it"), code: errno)
                }
                if n == 0 { break }
                bytes += chunk[0..<n]
            }
            return bytes
        }
    }

    /// Opens a regular file for reading; with a `limit`, one larger than it is refused.
    public static func open(_ location: Location, limit: ReadLimit?) throws(FileError) -> Opened {
        // The look before the open: O_PATH opens nothing for reading.
        let probe = try location.open(flags: canrun_o_path).get()
        let probed = stat(of: probe)
        close(probe)
        try check(probed, location: location, limit: limit)

        let fd = try location.open(flags: O_RDONLY | O_NONBLOCK).get()
        let status = stat(of: fd)
        do {
            try check(status, location: location, limit: limit)
        } catch {
            close(fd)
            throw error
        }
        return Opened(fd: fd, size: Int64(status?.st_size ?? 0), path: location.path)
    }

    /// The whole file, at most `limit.bytes`.
    public static func bytes(_ location: Location, limit: ReadLimit) throws(FileError) -> [UInt8] {
        let file = try open(location, limit: limit)
        let bytes = try file.read(upTo: limit.bytes + 1)
        guard bytes.count <= limit.bytes else {
            throw FileError(path: location.path, problem: .tooLarge(size: nil, limit: limit))
        }
        return bytes
    }

    /// The whole file as text (invalid UTF-8 replaced), at most `limit.bytes`.
    public static func text(_ location: Location, limit: ReadLimit) throws(FileError) -> String {
        String(decoding: try bytes(location, limit: limit), as: UTF8.self)
    }

    /// A file of this system, read as `bytes(_:limit:)` does.
    public static func bytes(
        _ path: String,
        limit: ReadLimit,
        followingLastLink: Bool = false
    ) throws(FileError)
        -> [UInt8]
    {
        try bytes(.system(path, followingLastLink: followingLastLink), limit: limit)
    }

    /// A file of this system as text, read as `bytes(_:limit:)` does.
    public static func text(
        _ path: String,
        limit: ReadLimit,
        followingLastLink: Bool = false
    ) throws(FileError)
        -> String
    {
        try text(.system(path, followingLastLink: followingLastLink), limit: limit)
    }

    private static func stat(of fd: Int32) -> stat? {
        var status = Glibc.stat()
        return fstat(fd, &status) == 0 ? status : nil
    }

    private static func check(_ status: stat?, location: Location, limit: ReadLimit?) throws(FileError) {
        guard let status else {
            throw FileError(path: location.path, problem: .system(step: "fstat it"), code: errno)
        }
        if status.st_mode & S_IFMT == S_IFLNK {
            throw FileError(path: location.path, problem: .symbolicLink, code: ELOOP)
        }
        if let kind = FileError.kind(mode: status.st_mode) {
            throw FileError(path: location.path, problem: .notRegular(kind: kind))
        }
        if let limit, Int64(status.st_size) > Int64(limit.bytes) {
            throw FileError(path: location.path, problem: .tooLarge(size: Int64(status.st_size), limit: limit))
        }
    }
}
