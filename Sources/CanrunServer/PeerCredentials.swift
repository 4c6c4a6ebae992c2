import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a Unix socket, as the kernel recorded it at `connect()`
/// (`SO_PEERCRED`). Glibc's `struct ucred` is hidden behind `_GNU_SOURCE`, so this mirrors its
/// layout: pid, uid, gid.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0

    public init(pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Whether this peer may use admin routes: root, or the daemon's own user (its
    /// `ExecReload=canrun admin reload` runs as that user).
    public func isAdmin(daemonUID: UInt32) -> Bool { uid == 0 || uid == daemonUID }

    /// The credentials of `channel`'s peer; nil when the channel is not a Unix socket.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        // A TCP socket answers SO_PEERCRED too, with uid -1 (overflowuid): no credentials.
        guard case .unixDomainSocket = channel.localAddress, let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return credentials.map { Optional($0) }.recover { _ in nil }
    }
}
