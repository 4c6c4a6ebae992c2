#if canImport(Glibc)
import Glibc
#endif

/// The `sockaddr_un` of a Unix socket path: what canrund's notifier, the CLI's client and the
/// tests bind, connect and send to.
public enum UnixSocketAddress {
    /// Calls `body` with the address of `path` (an abstract name's leading `@` becomes NUL, and
    /// its length excludes any trailing NUL: a padded length names another socket). Nil when
    /// the path is empty or too long for `sun_path`.
    public static func with<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        var bytes = Array(path.utf8)
        var addr = sockaddr_un()
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
