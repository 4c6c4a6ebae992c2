import CanrunShims
import Foundation

/// Opens paths so that they cannot leave a directory: a recording replayed as root must never
/// read `/etc/shadow` because one of its files, or folders, is a symbolic link there.
///
/// The kernel resolves the path: `openat2(2)` with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`,
/// which follows links that stay inside (sysfs recordings are full of relative ones) and fails
/// with `EXDEV` on any that leave. Kernels before 5.6 answer `ENOSYS`; then the parent folder is
/// resolved with `realpath(3)` and must lie inside the root's own real path. That fallback has
/// a window between the check and the open that the kernel's resolution does not: a recording
/// someone changes while it is replayed could slip one link past it.
public struct BeneathRoot: Sendable, Equatable {
    public enum Resolution: Sendable, Equatable {
        /// `openat2`, falling back to the `realpath` check where the kernel lacks it.
        case kernel
        /// The `realpath` check only (how kernels before 5.6 are served; tests use it).
        case realpathCheck
    }

    /// The directory paths must stay in.
    public let path: String
    public let resolution: Resolution

    public init(_ path: String, resolution: Resolution = .kernel) {
        self.path = path
        self.resolution = resolution
    }

    /// Opens `relative` (no leading `/`; empty for the root itself) with `flags` (`O_CLOEXEC`
    /// is added). Returns the descriptor, or the errno: `EXDEV` when the path leaves the root.
    func open(_ relative: String, flags: Int32) -> Result<Int32, Errno> {
        let name = relative.isEmpty ? "." : relative
        if resolution == .kernel {
            let root = Glibc.open(path, canrun_o_path | O_DIRECTORY | O_CLOEXEC)
            guard root >= 0 else { return .failure(Errno(errno)) }
            defer { close(root) }
            // openat2 answers EAGAIN when a rename anywhere on the system raced a ".." it
            // resolved (sysfs links are all "../../devices/…"): it asks to be called again. A
            // busy machine renames often (every atomic file write), and a lost race dropped a
            // PCI device from a recorded tree.
            var code = EAGAIN
            for _ in 0..<64 where code == EAGAIN || code == EINTR {
                let fd = canrun_openat2(
                    root,
                    name,
                    flags | O_CLOEXEC,
                    CANRUN_RESOLVE_BENEATH | CANRUN_RESOLVE_NO_MAGICLINKS
                )
                if fd >= 0 { return .success(fd) }
                code = errno
            }
            guard code == ENOSYS else { return .failure(Errno(code)) }
        }
        return openCheckingRealPath(name, flags: flags)
    }

    /// The fallback: the real path of what is followed must lie inside the root's real path.
    private func openCheckingRealPath(_ relative: String, flags: Int32) -> Result<Int32, Errno> {
        guard let realRoot = Self.realPath(path) else { return .failure(Errno(errno)) }
        let components = relative.split(separator: "/")
        let last = components.last.map(String.init) ?? "."
        // The last component is opened as named when links there are not followed; "." and
        // ".." are folders, resolved whole.
        let keepsLast = flags & O_NOFOLLOW != 0 && last != "." && last != ".."
        let followed = keepsLast ? components.dropLast().joined(separator: "/") : relative
        guard let real = Self.realPath(path + "/" + followed) else { return .failure(Errno(errno)) }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            return .failure(Errno(EXDEV))
        }
        let fd = Glibc.open(keepsLast ? real + "/" + last : real, flags | O_CLOEXEC)
        return fd >= 0 ? .success(fd) : .failure(Errno(errno))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// An errno as an `Error`, for `Result`.
    struct Errno: Error, Equatable {
        var code: Int32
        init(_ code: Int32) { self.code = code }
    }
}
