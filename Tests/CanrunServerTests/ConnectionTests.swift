import NIOCore
import NIOEmbedded
import Testing

@testable import CanrunServer

/// Who may connect (`ConnectionPolicy`), pure: a share per user, a reserve for the admins,
/// idle connections closed before anyone is refused.
struct ConnectionPolicyTests {
    static let policy = ConnectionPolicy(maxConnections: 8, perPeer: 3, adminReserve: 2)
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func open(_ id: Int, _ uid: UInt32, idle: Int64? = nil, admin: Bool = false) -> ConnectionPolicy.Open {
        .init(id: id, peer: .uid(uid), isAdmin: admin, idleSince: idle.map { t0 + .seconds($0) })
    }

    @Test func aPeerAtItsShareIsRefusedWhenNoneOfItsOwnIdles() {
        let busy = (1...3).map { Self.open($0, 1000) }
        #expect(Self.policy.decide(peer: .uid(1000), isAdmin: false, open: busy) == .refuse(.peerShare(3)))
        // Another user is still welcome.
        #expect(Self.policy.decide(peer: .uid(1001), isAdmin: false, open: busy) == .admit)
    }

    @Test func aPeerAtItsShareGivesUpItsOldestIdleConnection() {
        let held = [Self.open(1, 1000), Self.open(2, 1000, idle: 5), Self.open(3, 1000, idle: 2)]
        #expect(Self.policy.decide(peer: .uid(1000), isAdmin: false, open: held) == .admitClosing(3))
    }

    /// Six of eight taken by users: the last two are the admins'.
    @Test func theReserveIsForAdminsOnly() {
        let busy = (1...6).map { Self.open($0, UInt32(1000 + $0 / 3)) }
        #expect(Self.policy.decide(peer: .uid(2000), isAdmin: false, open: busy) == .refuse(.full(6)))
        #expect(Self.policy.decide(peer: .uid(0), isAdmin: true, open: busy) == .admit)
        let admins = busy + [Self.open(7, 0, admin: true), Self.open(8, 0, admin: true)]
        #expect(Self.policy.decide(peer: .uid(0), isAdmin: true, open: admins) == .refuse(.full(8)))
    }

    /// At the cap, the idle connection of the peer holding most goes first, its oldest; an
    /// admin's idle connection only when no one else's idles.
    @Test func atTheCapTheBiggestHoldersOldestIdleGoes() {
        let open = [
            Self.open(1, 1000, idle: 1), Self.open(2, 1000, idle: 9), Self.open(3, 1000),
            Self.open(4, 1001, idle: 0), Self.open(5, 1002), Self.open(6, 1002),
        ]
        #expect(Self.policy.decide(peer: .uid(1003), isAdmin: false, open: open) == .admitClosing(1))
        let onlyAdminIdle = (1...6).map { Self.open($0, 1000 + UInt32($0)) } + [Self.open(7, 0, idle: 3, admin: true)]
        #expect(
            Self.policy.decide(peer: .uid(0), isAdmin: true, open: onlyAdminIdle + [Self.open(8, 0)])
                == .admitClosing(7)
        )
    }

    /// The loopback TCP listener has no credentials: all its clients are one peer, never admin.
    @Test func tcpClientsShareOnePeer() {
        let tcp = (1...3).map { ConnectionPolicy.Open(id: $0, peer: .tcp, isAdmin: false, idleSince: nil) }
        #expect(Self.policy.decide(peer: .tcp, isAdmin: false, open: tcp) == .refuse(.peerShare(3)))
    }
}

/// A connection's clock (`ConnectionStateMachine`), moved by hand.
struct ConnectionStateMachineTests {
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func machine() -> ConnectionStateMachine {
        ConnectionStateMachine(now: t0, requestTimeout: .seconds(10), idleTimeout: .seconds(30))
    }

    @Test func aTricklingRequestIsClosedAtTheRequestTimeout() {
        var m = Self.machine()
        m.received(now: Self.t0 + .seconds(1))
        // More bytes do not restart the clock.
        m.received(now: Self.t0 + .seconds(9))
        #expect(m.tick(now: Self.t0 + .seconds(11)) == .none)
        #expect(m.tick(now: Self.t0 + .seconds(12)) == .close(.requestTimeout))
        #expect(m.state == .closed)
    }

    @Test func anAnswerStopsTheClockAndIdlingStartsAnother() {
        var m = Self.machine()
        m.received(now: Self.t0)
        m.answered(now: Self.t0 + .seconds(2))
        #expect(m.idleSince == Self.t0 + .seconds(2))
        #expect(m.tick(now: Self.t0 + .seconds(20)) == .none)
        #expect(m.tick(now: Self.t0 + .seconds(33)) == .close(.idleTimeout))
    }

    @Test func onlyAnIdleConnectionIsEvicted() {
        var m = Self.machine()
        m.received(now: Self.t0)
        #expect(m.evict() == .none)
        m.answered(now: Self.t0 + .seconds(1))
        #expect(m.evict() == .close(.evicted))
        #expect(m.tick(now: Self.t0 + .seconds(100)) == .none)
    }
}

/// `ConnectionGuard` in a pipeline on an `EmbeddedEventLoop`: the timeouts fire as the test
/// moves the loop's clock, with no real waiting.
struct ConnectionGuardTests {
    static func channel(entry: ConnectionRegistry.Entry? = nil) throws -> (EmbeddedChannel, ConnectionGuard) {
        let handler = ConnectionGuard(requestTimeout: .seconds(10), idleTimeout: .seconds(30), entry: entry)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/canrun-guard-test")).wait()
        return (channel, handler)
    }

    @Test func halfARequestIsClosedAtTheTimeout() throws {
        let (channel, handler) = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /v1/hea"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(handler.closedFor == .requestTimeout)
    }

    @Test func anAnsweredConnectionIdlesThenCloses() throws {
        let registry = ConnectionRegistry()
        let policy = ConnectionPolicy(maxConnections: 4, perPeer: 4, adminReserve: 0)
        let entry = try registry.admit(peer: .uid(1000), isAdmin: false, policy: policy, now: .now()).get()
        let (channel, handler) = try Self.channel(entry: entry)
        try channel.writeInbound(ByteBuffer(string: "GET /v1/health HTTP/1.1\r\n\r\n"))
        #expect(entry.idleSince.withLockedValue { $0 } == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try channel.writeOutbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\n"))
        #expect(entry.idleSince.withLockedValue { $0 } == channel.embeddedEventLoop.now)
        channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(handler.closedFor == .idleTimeout)
    }

    /// The registry asks an idle connection to make room, and it closes on its own loop.
    @Test func anIdleConnectionMakesRoom() throws {
        let registry = ConnectionRegistry()
        let policy = ConnectionPolicy(maxConnections: 1, perPeer: 1, adminReserve: 0)
        let first = try registry.admit(peer: .uid(1000), isAdmin: false, policy: policy, now: .now()).get()
        let (channel, handler) = try Self.channel(entry: first)
        let second = registry.admit(peer: .uid(1000), isAdmin: false, policy: policy, now: .now())
        #expect((try? second.get()) != nil)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        #expect(handler.closedFor == .evicted)
        // Refused while the only connection is busy.
        let (busy, _) = try Self.channel(
            entry: try registry.admit(
                peer: .uid(1001),
                isAdmin: false,
                policy: ConnectionPolicy(maxConnections: 8, perPeer: 1, adminReserve: 0),
                now: .now()
            ).get()
        )
        try busy.writeInbound(ByteBuffer(string: "GET /v1/he"))
        let third = registry.admit(
            peer: .uid(1001),
            isAdmin: false,
            policy: ConnectionPolicy(maxConnections: 8, perPeer: 1, adminReserve: 0),
            now: .now()
        )
        #expect(throws: ConnectionPolicy.Refusal.peerShare(1)) { try third.get() }
    }
}
