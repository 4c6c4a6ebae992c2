import CanrunCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// HTTP/1.1 over a Unix socket with SwiftNIO: binds a path itself (development) or adopts the
/// listening socket systemd passed (`SocketActivation`), and answers each request through the
/// dispatcher. Limits (`ServerLimits`) keep one slow or hostile client from holding more than
/// its own connection.
public struct UnixHTTPServer: Sendable {
    public enum Listener: Sendable, Equatable {
        /// Bind this path, replacing a stale socket file left by a crash (never another file).
        case path(String)
        /// Adopt an already-bound, listening socket (systemd socket activation).
        case socket(CInt)
        /// Loopback TCP (`DaemonConfig.tcp`): no peer credentials, so never admin.
        case tcp(host: String, port: Int)
    }

    public let dispatcher: APIDispatcher
    private let registry = ConnectionRegistry()
    /// Refused connections being read and answered: past `maxRefusing` they are closed at once,
    /// so a flood of refusals costs no more than this many buffers.
    private let refusing = NIOLockedValueBox(0)
    static let maxRefusing = 64
    /// How long a refused client has to send its request.
    static let refusalTimeout = TimeAmount.seconds(2)

    /// Serves `dispatcher`'s answers under its limits (`APIDispatcher.limits`, which a reload
    /// changes for connections accepted from then on; the listen backlog is the socket's and
    /// stays until restart).
    public init(dispatcher: APIDispatcher) {
        self.dispatcher = dispatcher
    }

    /// The limits new connections get.
    public var limits: ServerLimits { dispatcher.limits }

    /// A bound, listening server; `serve` answers on it until the task is cancelled.
    public struct Bound: Sendable {
        let channel: any Channel
        /// The TCP port listened on (the one picked when asked for port 0).
        public var port: Int? { channel.localAddress?.port }
    }

    public func bind(_ listener: Listener, group: MultiThreadedEventLoopGroup = .singleton) async throws -> Bound {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: limits.backlog)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // One read per readable event: a request is one small read, and the extra read that
            // would only find EAGAIN costs a syscall per request (17 against 19-21 µs per request).
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelInitializer { channel in self.initialize(channel) }
        switch listener {
        case .path(let path):
            let channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            return Bound(channel: channel)
        case .socket(let fd):
            return Bound(channel: try await bootstrap.withBoundSocket(fd).get())
        case .tcp(let host, let port):
            // A restart rebinds at once, past the old listener's TIME_WAIT connections.
            let tcp = bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            return Bound(channel: try await tcp.bind(host: host, port: port).get())
        }
    }

    /// Answers until cancelled (graceful shutdown), then closes the listener; a self-bound
    /// socket file is removed by NIO, an adopted one stays with systemd. Open connections finish
    /// their current answer and close with the event loops.
    public func serve(_ bound: Bound) async throws {
        try await withTaskCancellationHandler {
            try await bound.channel.closeFuture.get()
        } onCancel: {
            bound.channel.close(promise: nil)
        }
    }

    /// Connections open now (refused ones not counted).
    public var openConnections: Int { registry.count }

    /// Connections with a request under way (read in part or being answered); the others idle
    /// and may be closed to make room (`ConnectionPolicy`).
    public var busyConnections: Int { registry.busyCount }

    private func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        let limits = self.limits
        return PeerCredentials.of(channel).flatMapThrowing { credentials in
            let peer: ConnectionPolicy.Peer = credentials.map { .uid($0.uid) } ?? .tcp
            let isAdmin = credentials.map { dispatcher.isAdmin($0) } ?? false
            switch registry.admit(
                peer: peer,
                isAdmin: isAdmin,
                policy: limits.connectionPolicy,
                now: channel.eventLoop.now
            ) {
            case .success(let entry):
                let registry = self.registry
                channel.closeFuture.whenComplete { _ in registry.remove(entry.id) }
                try serve(channel, credentials: credentials, entry: entry, limits: limits)
            case .failure(let why):
                try refuse(channel, RefusalResponder.answer(why, peer: peer), limits: limits)
            }
        }
    }

    private func serve(
        _ channel: any Channel,
        credentials: PeerCredentials?,
        entry: ConnectionRegistry.Entry,
        limits: ServerLimits
    ) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(
            ConnectionGuard(
                requestTimeout: .seconds(limits.requestTimeoutSeconds),
                idleTimeout: .seconds(limits.idleTimeoutSeconds),
                entry: entry
            )
        )
        try addHTTP(sync, limits: limits)
        try sync.addHandler(
            HTTPRequestHandler(dispatcher: dispatcher, peer: credentials, maxBodyBytes: limits.maxBodyBytes)
        )
    }

    /// Over a limit: the request is read and answered 503 with `Retry-After` (a close with the
    /// request unread would reach the client as a reset), within a short time.
    private func refuse(_ channel: any Channel, _ answer: APIResponse, limits: ServerLimits) throws {
        let counter = refusing
        let admitted = counter.withLockedValue { n -> Bool in
            guard n < Self.maxRefusing else { return false }
            n += 1
            return true
        }
        guard admitted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in counter.withLockedValue { $0 -= 1 } }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(
            ConnectionGuard(requestTimeout: Self.refusalTimeout, idleTimeout: Self.refusalTimeout, entry: nil)
        )
        try addHTTP(sync, limits: limits)
        try sync.addHandler(RefusalResponder(answer))
    }

    private func addHTTP(_ sync: ChannelPipeline.SynchronousOperations, limits: ServerLimits) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        try sync.configureHTTPServerPipeline(
            withErrorHandling: false,
            withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: decoderLimits
        )
        try sync.addHandler(ProtocolErrorResponder(maxHeaderBytes: limits.maxHeaderBytes))
    }
}
