import CanrunCore
import NIOCore

/// Who may open one more connection, decided over the connections open now: pure, so every
/// rule is tested without sockets.
///
/// - Each user (peer uid; the loopback TCP listener is one peer) holds at most `perPeer`.
/// - The last `adminReserve` of `maxConnections` are for root and the daemon's user only, so
///   one user filling the cap never locks the admin out.
/// - When a limit is reached, an idle keep-alive connection is closed to make room before
///   anyone is refused: the peer's own oldest idle one past its share, else the oldest idle one
///   of the peer holding most. Only when none is idle is the newcomer refused (503).
public struct ConnectionPolicy: Sendable, Equatable {
    public var maxConnections: Int
    public var perPeer: Int
    public var adminReserve: Int

    public init(maxConnections: Int, perPeer: Int, adminReserve: Int) {
        self.maxConnections = maxConnections
        self.perPeer = perPeer
        self.adminReserve = adminReserve
    }

    /// A connection's owner.
    public enum Peer: Hashable, Sendable, CustomStringConvertible {
        case uid(UInt32)
        /// The loopback TCP listener: no credentials, one peer for all.
        case tcp

        public var description: String {
            switch self {
            case .uid(let uid): "uid \(uid)"
            case .tcp: "loopback TCP"
            }
        }
    }

    /// One open connection as the policy sees it.
    public struct Open: Sendable, Equatable {
        public var id: Int
        public var peer: Peer
        public var isAdmin: Bool
        /// When it became idle between requests; nil while a request is in progress.
        public var idleSince: NIODeadline?

        public init(id: Int, peer: Peer, isAdmin: Bool, idleSince: NIODeadline?) {
            self.id = id
            self.peer = peer
            self.isAdmin = isAdmin
            self.idleSince = idleSince
        }
    }

    public enum Refusal: Error, Sendable, Equatable {
        /// The peer holds its share already, none of it idle.
        case peerShare(Int)
        /// Every connection the peer may use is taken, none idle.
        case full(Int)
    }

    public enum Decision: Sendable, Equatable {
        case admit
        /// Admit after closing the idle connection with this id.
        case admitClosing(Int)
        case refuse(Refusal)
    }

    public func decide(peer: Peer, isAdmin: Bool, open: [Open]) -> Decision {
        func oldestIdle(_ candidates: some Sequence<Open>) -> Open? {
            candidates.filter { $0.idleSince != nil }.min { ($0.idleSince!, $0.id) < ($1.idleSince!, $1.id) }
        }
        if !isAdmin {
            let own = open.filter { $0.peer == peer }
            if own.count >= perPeer {
                guard let victim = oldestIdle(own) else { return .refuse(.peerShare(perPeer)) }
                return .admitClosing(victim.id)
            }
        }
        let limit = isAdmin ? maxConnections : max(0, maxConnections - adminReserve)
        guard open.count >= limit else { return .admit }
        // Room is made from the peer holding most (an admin's only when no one else's is idle).
        let held = Dictionary(grouping: open.filter { !$0.isAdmin }, by: \.peer).mapValues(\.count)
        let byHolding = open.filter { !$0.isAdmin && $0.idleSince != nil }.max {
            (held[$0.peer] ?? 0, $1.idleSince!, $1.id) < (held[$1.peer] ?? 0, $0.idleSince!, $0.id)
        }
        guard let victim = byHolding ?? oldestIdle(open) else { return .refuse(.full(limit)) }
        return .admitClosing(victim.id)
    }
}

extension ServerLimits {
    /// The connection rules these limits make.
    var connectionPolicy: ConnectionPolicy {
        ConnectionPolicy(
            maxConnections: maxConnections,
            perPeer: maxConnectionsPerPeer,
            adminReserve: adminReservedConnections
        )
    }
}
