import CanrunCore
import Foundation

/// Why canrun could not read (or write) a file: the path, what is really wrong with it, and the
/// `errno` behind it, so a FIFO is never reported as "permission denied" and a size limit says
/// the size.
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Problem: Equatable, Sendable {
        case notFound
        /// EACCES/EPERM.
        case permissionDenied
        /// The last component is a symbolic link, which canrun does not follow there.
        case symbolicLink
        /// Not a regular file: `kind` is "a FIFO", "a directory", "a socket", "a character
        /// device" or "a block device".
        case notRegular(kind: String)
        /// `size` bytes (nil when only reading found it: procfs and sysfs report 0 or 4096),
        /// more than `limit` allows.
        case tooLarge(size: Int64?, limit: ReadLimit)
        /// Resolving it left the directory it must stay in (a symbolic link out of a recording).
        case outsideRoot(root: String)
        /// Any other failure of `step` (open, read, rename, …), by its errno.
        case system(step: String)
        /// A directory canrun will not trust (owner, mode), with the reason.
        case unsafeDirectory(reason: String)
        /// Something exists where canrun must create a new file or folder.
        case exists
        /// A folder canrun writes a recording into already holds files.
        case notEmpty
    }

    public var path: String
    public var problem: Problem
    /// The errno the system call failed with, when one did.
    public var code: Int32?

    public init(path: String, problem: Problem, code: Int32? = nil) {
        self.path = path
        self.problem = problem
        self.code = code
    }

    public var description: String { "\(path) \(reason)" }
    public var errorDescription: String? { description }

    /// The problem in words, without the path.
    public var reason: String {
        switch problem {
        case .notFound: return "does not exist (no such file)"
        case .permissionDenied:
            return "cannot be read: permission denied (run as root, or make it readable to this user)"
        case .symbolicLink: return "is a symbolic link (not followed)"
        case .notRegular(let kind): return "is \(kind), not a regular file"
        case .tooLarge(let size?, let limit):
            return "is \(ProfileText.bytes(size)), more than the \(limit.bytesText) \(limit.what) can be"
        case .tooLarge(nil, let limit):
            return "holds more than the \(limit.bytesText) \(limit.what) can be"
        case .outsideRoot(let root):
            return "resolves outside \(root) (a symbolic link leads out of it): not read"
        case .system(let step):
            let text = code.map { "\(String(cString: strerror($0))) (errno \($0))" } ?? "failed"
            return "could not \(step): \(text)"
        case .unsafeDirectory(let reason): return "is not a safe directory: \(reason)"
        case .exists: return "already exists"
        case .notEmpty: return "is not empty: choose a new or empty folder"
        }
    }

    /// The error a failed `open`/`openat` of `path` means, by its errno.
    static func opening(_ path: String, code: Int32, root: String? = nil) -> FileError {
        switch code {
        case ENOENT: return FileError(path: path, problem: .notFound, code: code)
        case EACCES, EPERM: return FileError(path: path, problem: .permissionDenied, code: code)
        case ELOOP: return FileError(path: path, problem: .symbolicLink, code: code)
        case EXDEV where root != nil: return FileError(path: path, problem: .outsideRoot(root: root ?? ""), code: code)
        case EISDIR: return FileError(path: path, problem: .notRegular(kind: "a directory"), code: code)
        default: return FileError(path: path, problem: .system(step: "open it"), code: code)
        }
    }

    /// "a FIFO" for a FIFO's `st_mode`, nil for a regular file.
    static func kind(mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}
