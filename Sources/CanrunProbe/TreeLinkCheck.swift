import CanrunShims
import Foundation

/// Checks a recorded `/sys`+`/proc` tree before a library that follows links as it pleases
/// (hwloc with `HWLOC_FSROOT`, libpci on a sysfs path) reads it: every symbolic link in the
/// tree must resolve inside it, as the kernel resolves it (`BeneathRoot`: `openat2` with
/// `RESOLVE_BENEATH`, not a look at the link's text). A link that leads out — to `/etc/shadow`,
/// or to a folder holding it — refuses the whole tree, naming the link.
///
/// The walk is bounded (`entryLimit` entries, `depthLimit` folders deep) and never follows a
/// link while walking; a dangling link or a loop is harmless (nothing can be read through it).
/// A tree changed between this check and the library's read is not covered.
public enum TreeLinkCheck {
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        /// The link, under the root.
        public var link: String
        /// What it points at, as written in it.
        public var target: String
        public var root: String

        public init(link: String, target: String, root: String) {
            self.link = link
            self.target = target
            self.root = root
        }

        public var description: String {
            "\(link) is a symbolic link to \(target), outside the recording \(root): the recorded tree is not read"
        }
    }

    /// The tree holds more than the walk looks at, or cannot be walked.
    public struct Unchecked: Error, Equatable, CustomStringConvertible {
        public var root: String
        public var reason: String
        public var description: String { "the recorded tree \(root) cannot be checked: \(reason); it is not read" }
    }

    /// Entries looked at: `hwloc-gather-topology` trees of large machines hold tens of thousands.
    public static let entryLimit = 500_000
    /// Folders deep: sysfs device paths nest about 15 deep.
    public static let depthLimit = 48

    /// Throws `Refusal` for the first link (in walk order) that leaves `root`, `Unchecked` when
    /// the walk passes its bounds.
    public static func check(_ root: HostRoot) throws {
        guard !root.isLive else { return }
        let beneath = BeneathRoot(root.path, resolution: root.resolution)
        let top = Glibc.open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard top >= 0 else {
            throw Unchecked(root: root.path, reason: String(cString: strerror(errno)))
        }
        var walk = Walk(root: root.path, beneath: beneath)
        try walk.visit(top, relative: "", depth: 0)
    }

    private struct Walk {
        let root: String
        let beneath: BeneathRoot
        var entries = 0

        /// Walks the folder `fd` (owned, closed here) at `relative` below the root.
        mutating func visit(_ fd: Int32, relative: String, depth: Int) throws {
            guard depth <= TreeLinkCheck.depthLimit else {
                close(fd)
                throw Unchecked(root: root, reason: "folders nest deeper than \(TreeLinkCheck.depthLimit)")
            }
            guard let names = DirectoryEntries.names(dup(fd)) else {
                close(fd)
                throw Unchecked(root: root, reason: "\(relative.isEmpty ? "." : relative) cannot be listed")
            }
            defer { close(fd) }
            if names.count >= DirectoryEntries.limit {
                throw Unchecked(root: root, reason: "\(relative) holds more than \(DirectoryEntries.limit) entries")
            }
            for name in names {
                entries += 1
                guard entries <= TreeLinkCheck.entryLimit else {
                    throw Unchecked(root: root, reason: "it holds more than \(TreeLinkCheck.entryLimit) entries")
                }
                let path = relative.isEmpty ? name : relative + "/" + name
                var status = stat()
                guard fstatat(fd, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    let child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                    if child >= 0 { try visit(child, relative: path, depth: depth + 1) }
                case S_IFLNK:
                    try checkLink(path, in: fd, name: name)
                default:
                    continue
                }
            }
        }

        /// The kernel resolves the link beneath the root: EXDEV means it leaves.
        func checkLink(_ path: String, in fd: Int32, name: String) throws {
            switch beneath.open(path, flags: canrun_o_path) {
            case .success(let opened):
                close(opened)
            case .failure(let error) where error.code == EXDEV:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(fd, name, &buffer, buffer.count - 1)
                let target = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
                throw Refusal(link: root + "/" + path, target: target, root: root)
            case .failure:
                // Dangling, a loop, or unreadable: nothing outside is reached through it.
                break
            }
        }
    }
}
