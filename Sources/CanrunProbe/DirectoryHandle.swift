import Foundation

/// A folder canrun writes into, held open (`O_DIRECTORY | O_NOFOLLOW`): every file in it is
/// created, read, renamed and removed relative to the descriptor (`openat`, `renameat`,
/// `unlinkat`), so a symbolic link planted in it, or swapped in for it after it was opened, is
/// never written through.
public final class DirectoryHandle: @unchecked Sendable {
    public let path: String
    let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Opens the folder at `path`; refused when `path` itself is a symbolic link (a link above
    /// it is the caller's own path and is followed).
    /// - Parameters:
    ///   - creating: when given, a missing folder is created with this mode (the umask
    ///     applies), and so are missing folders above it (`parentMode`).
    public static func open(
        _ path: String,
        creating mode: mode_t? = nil,
        parentMode: mode_t = 0o755
    ) throws(FileError) -> DirectoryHandle {
        var fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ENOENT, let mode {
            try createParents(of: path, mode: parentMode)
            if mkdir(path, mode) != 0, errno != EEXIST {
                throw FileError(path: path, problem: .system(step: "create it"), code: errno)
            }
            fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else { throw openingFolder(path, code: errno) }
        return DirectoryHandle(path: path, fd: fd)
    }

    private static func createParents(of path: String, mode: mode_t) throws(FileError) {
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path, access(parent, F_OK) != 0 else { return }
        try createParents(of: parent, mode: mode)
        if mkdir(parent, mode) != 0, errno != EEXIST {
            throw FileError(path: parent, problem: .system(step: "create it"), code: errno)
        }
    }

    private static func openingFolder(_ path: String, code: Int32) -> FileError {
        guard code == ENOTDIR else {
            return code == ELOOP
                ? FileError(path: path, problem: .symbolicLink, code: code) : FileError.opening(path, code: code)
        }
        // The last component is not a folder (O_NOFOLLOW|O_DIRECTORY on a link to one says
        // ENOTDIR, not ELOOP), or one above it is not.
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK {
            return FileError(path: path, problem: .symbolicLink, code: code)
        }
        if lstat(path, &status) == 0, let kind = FileError.kind(mode: status.st_mode) {
            return FileError(path: path, problem: .unsafeDirectory(reason: "it is \(kind), not a folder"), code: code)
        }
        return FileError(path: path, problem: .system(step: "open it as a folder"), code: code)
    }

    /// The folder's own `stat`.
    public func status() throws(FileError) -> stat {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw FileError(path: path, problem: .system(step: "fstat it"), code: errno)
        }
        return status
    }

    /// Refuses a folder that another user owns, or that `forbiddenMode` bits (`0o022`: group
    /// and others may write) make writable to others.
    public func requireOwned(forbiddenMode: mode_t = 0) throws(FileError) {
        let status = try status()
        let me = geteuid()
        guard status.st_uid == me else {
            throw FileError(
                path: path,
                problem: .unsafeDirectory(
                    reason: "it is owned by uid \(status.st_uid), not by this process (uid \(me))"
                )
            )
        }
        let extra = status.st_mode & forbiddenMode
        guard extra == 0 else {
            let mode = String(status.st_mode & 0o7777, radix: 8)
            let who = [extra & 0o020 != 0 ? "its group" : nil, extra & 0o002 != 0 ? "every user" : nil]
                .compactMap { $0 }.joined(separator: " and ")
            throw FileError(
                path: path,
                problem: .unsafeDirectory(reason: "mode \(mode) lets \(who) write it (chmod 700 it)")
            )
        }
    }

    /// The names in it (without `.` and `..`).
    public func names() throws(FileError) -> [String] {
        let copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard copy >= 0, let names = DirectoryEntries.names(copy) else {
            throw FileError(path: path, problem: .system(step: "list it"), code: errno)
        }
        return names
    }

    /// The sub-folder `name`, created with `mode` when missing; a link in its place is refused.
    public func subdirectory(_ name: String, creating mode: mode_t = 0o755) throws(FileError) -> DirectoryHandle {
        try Self.checkName(name, in: self)
        if mkdirat(fd, name, mode) != 0, errno != EEXIST {
            throw FileError(path: path + "/" + name, problem: .system(step: "create it"), code: errno)
        }
        let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else { throw Self.openingFolder(path + "/" + name, code: errno) }
        return DirectoryHandle(path: path + "/" + name, fd: child)
    }

    /// The folder `relative` (`a/b/c`) below this one, each level created when missing.
    public func subdirectories(_ relative: String, creating mode: mode_t = 0o755) throws(FileError) -> DirectoryHandle {
        var current = self
        for component in relative.split(separator: "/") {
            current = try current.subdirectory(String(component), creating: mode)
        }
        return current
    }

    /// Creates `name`, which must not exist yet (`O_CREAT | O_EXCL | O_NOFOLLOW`: a planted
    /// file or link is refused, never written through), with `contents`.
    public func createFile(_ name: String, contents: [UInt8], mode: mode_t = 0o644) throws(FileError) {
        try Self.checkName(name, in: self)
        let file = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else {
            let code = errno
            throw FileError(
                path: path + "/" + name,
                problem: code == EEXIST ? .exists : .system(step: "create it"),
                code: code
            )
        }
        defer { close(file) }
        try write(contents, to: file, path: path + "/" + name)
    }

    /// Replaces `name` whole or not at all: a temporary file (`.NAME.tmp-…`, created `O_EXCL`
    /// in this folder) is written, `fsync`ed and renamed over `name`, then the folder is
    /// `fsync`ed, so a crash leaves the old file or the new one. A link at `name` is replaced,
    /// not followed. On failure the temporary file is removed.
    public func replaceAtomically(_ name: String, contents: [UInt8], mode: mode_t = 0o600) throws(FileError) {
        try replaceAtomically(name, mode: mode) { (write) throws(FileError) in try write(contents) }
    }

    /// `replaceAtomically(_:contents:mode:)` for a file too large to hold: `body` hands its
    /// bytes to `write` piece by piece, in order.
    public func replaceAtomically(
        _ name: String,
        mode: mode_t = 0o600,
        writing body: (_ write: ([UInt8]) throws(FileError) -> Void) throws(FileError) -> Void
    ) throws(FileError) {
        try Self.checkName(name, in: self)
        var temporary = ""
        var file: Int32 = -1
        for _ in 0..<8 {
            temporary = Self.temporaryPrefix(name) + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            file = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if file >= 0 || errno != EEXIST { break }
        }
        guard file >= 0 else {
            throw FileError(path: path + "/" + temporary, problem: .system(step: "create it"), code: errno)
        }
        do throws(FileError) {
            defer { close(file) }
            try body { (bytes) throws(FileError) in try write(bytes, to: file, path: path + "/" + temporary) }
            guard fsync(file) == 0 else {
                throw FileError(path: path + "/" + temporary, problem: .system(step: "fsync it"), code: errno)
            }
            guard renameat(fd, temporary, fd, name) == 0 else {
                throw FileError(path: path + "/" + name, problem: .system(step: "rename it into place"), code: errno)
            }
        } catch {
            unlinkat(fd, temporary, 0)
            throw error
        }
        guard fsync(fd) == 0 else {
            throw FileError(path: path, problem: .system(step: "fsync the folder"), code: errno)
        }
    }

    /// Removes the file `name` in this folder (not following a link); one that is not there is
    /// no error.
    public func remove(_ name: String) throws(FileError) {
        try Self.checkName(name, in: self)
        guard unlinkat(fd, name, 0) == 0 || errno == ENOENT else {
            throw FileError(path: path + "/" + name, problem: .system(step: "remove it"), code: errno)
        }
    }

    /// Removes the temporary files `replaceAtomically(name…)` leaves when killed between
    /// creating and renaming one. Returns the names removed.
    @discardableResult
    public func removeTemporaries(of name: String) -> [String] {
        let prefix = Self.temporaryPrefix(name)
        let stale = ((try? names()) ?? []).filter { $0.hasPrefix(prefix) }
        return stale.filter { unlinkat(fd, $0, 0) == 0 }
    }

    /// Makes `name` a symbolic link to `target` (which is not followed here).
    public func createSymbolicLink(_ name: String, to target: String) throws(FileError) {
        try Self.checkName(name, in: self)
        guard symlinkat(target, fd, name) == 0 else {
            let code = errno
            throw FileError(
                path: path + "/" + name,
                problem: code == EEXIST ? .exists : .system(step: "create the link"),
                code: code
            )
        }
    }

    static func temporaryPrefix(_ name: String) -> String { "." + name + ".tmp-" }

    private static func checkName(_ name: String, in directory: DirectoryHandle) throws(FileError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw FileError(path: directory.path + "/" + name, problem: .outsideRoot(root: directory.path))
        }
    }

    private func write(_ bytes: [UInt8], to file: Int32, path: String) throws(FileError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.write(file, $0.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, problem: .system(step: "write it"), code: errno)
            }
            written += n
        }
    }
}
