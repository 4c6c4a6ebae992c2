import NIOConcurrencyHelpers
import NIOCore

/// The connections a server has open, for `ConnectionPolicy`: who holds each, whether it idles,
/// and how to ask it to close. Shared by every event loop; each connection's own state changes
/// on its loop and is published here.
final class ConnectionRegistry: Sendable {
    /// One open connection.
    final class Entry: Sendable {
        let id: Int
        let peer: ConnectionPolicy.Peer
        let isAdmin: Bool
        /// When it became idle; nil while a request is under way (`ConnectionGuard` keeps it).
        let idleSince: NIOLockedValueBox<NIODeadline?>
        /// Asks the connection, on its own loop, to close if it is still idle.
        let evictor = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)

        init(id: Int, peer: ConnectionPolicy.Peer, isAdmin: Bool, now: NIODeadline) {
            self.id = id
            self.peer = peer
            self.isAdmin = isAdmin
            idleSince = NIOLockedValueBox(now)
        }
    }

    private struct State {
        var next = 0
        var entries: [Int: Entry] = [:]
        /// Asked to close and not closed yet: never chosen twice.
        var evicting: Set<Int> = []
    }

    private let state = NIOLockedValueBox(State())

    /// Connections open now.
    var count: Int { state.withLockedValue { $0.entries.count } }

    /// Connections with a request under way now (read in part or being answered).
    var busyCount: Int {
        state.withLockedValue { $0.entries.values.filter { $0.idleSince.withLockedValue { $0 == nil } }.count }
    }

    /// Decides on a newcomer by `policy`; when admitted, registers it (and asks the chosen idle
    /// connection, if any, to make room).
    /// - Returns: the newcomer's entry, or why it is refused.
    func admit(
        peer: ConnectionPolicy.Peer,
        isAdmin: Bool,
        policy: ConnectionPolicy,
        now: NIODeadline
    ) -> Result<Entry, ConnectionPolicy.Refusal> {
        let (outcome, victim) = state.withLockedValue { s -> (Result<Entry, ConnectionPolicy.Refusal>, Entry?) in
            let open = s.entries.values.filter { !s.evicting.contains($0.id) }.map {
                ConnectionPolicy.Open(
                    id: $0.id,
                    peer: $0.peer,
                    isAdmin: $0.isAdmin,
                    idleSince: $0.idleSince.withLockedValue { $0 }
                )
            }
            var victim: Entry?
            switch policy.decide(peer: peer, isAdmin: isAdmin, open: open) {
            case .refuse(let why):
                return (.failure(why), nil)
            case .admitClosing(let id):
                victim = s.entries[id]
                s.evicting.insert(id)
            case .admit:
                break
            }
            s.next += 1
            let entry = Entry(id: s.next, peer: peer, isAdmin: isAdmin, now: now)
            s.entries[entry.id] = entry
            return (.success(entry), victim)
        }
        victim?.evictor.withLockedValue { $0 }?()
        return outcome
    }

    func remove(_ id: Int) {
        state.withLockedValue {
            $0.entries[id] = nil
            $0.evicting.remove(id)
        }
    }
}
