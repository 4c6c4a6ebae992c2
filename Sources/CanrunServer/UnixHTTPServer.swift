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
    private let open = NIOLockedValueBox(0)

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
            return Bound(channel: try await bootstrap.bind(host: host, port: port).get())
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

    private func initialize(_ channel: any Channel) -> EventLoopFuture<Void> {
        let limits = self.limits
        let admitted = open.withLockedValue { count -> Bool in
            guard count < limits.maxConnections else { return false }
            count += 1
            return true
        }
        guard admitted else {
            refuse(channel, limit: limits.maxConnections)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let counter = open
        channel.closeFuture.whenComplete { _ in counter.withLockedValue { $0 -= 1 } }
        return PeerCredentials.of(channel).flatMapThrowing { peer in
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(
                ConnectionTimeouts(
                    requestTimeout: .seconds(limits.requestTimeoutSeconds),
                    idleTimeout: .seconds(limits.idleTimeoutSeconds)
                )
            )
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            try sync.configureHTTPServerPipeline(
                withErrorHandling: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try sync.addHandler(ProtocolErrorResponder(maxHeaderBytes: limits.maxHeaderBytes))
            try sync.addHandler(
                HTTPRequestHandler(dispatcher: dispatcher, peer: peer, maxBodyBytes: limits.maxBodyBytes)
            )
        }
    }

    /// Over the connection cap: a short 503 written straight to the socket, then close.
    private func refuse(_ channel: any Channel, limit: Int) {
        let body = APIResponse.error(
            .init(
                status: 503,
                code: "too_many_connections",
                message: "the daemon serves at most \(limit) connections at once",
                hint: "retry shortly"
            )
        ).body
        let head =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
    }
}
