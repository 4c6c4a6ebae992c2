import NIOCore

/// First in every connection's pipeline, seeing raw bytes both ways: feeds its
/// `ConnectionStateMachine` (the first inbound byte of a request starts its clock, the first
/// outbound byte of the answer stops it), checks the clock once a second, publishes whether
/// the connection idles to the `ConnectionRegistry`, and closes the connection when the machine
/// says so. Time is the event loop's (`EventLoop.now`), so tests on an `EmbeddedEventLoop`
/// move it by hand.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let checkEvery = TimeAmount.seconds(1)

    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let entry: ConnectionRegistry.Entry?
    private var machine: ConnectionStateMachine?
    private var check: RepeatedTask?

    /// - Parameter entry: the connection's place in the registry; nil for a connection that is
    ///   only being refused.
    init(requestTimeout: TimeAmount, idleTimeout: TimeAmount, entry: ConnectionRegistry.Entry?) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.entry = entry
    }

    /// Why the guard closed the connection, if it did (for tests and logs).
    private(set) var closedFor: ConnectionStateMachine.CloseReason?

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard machine == nil else { return }
        let now = context.eventLoop.now
        machine = ConnectionStateMachine(now: now, requestTimeout: requestTimeout, idleTimeout: idleTimeout)
        entry?.idleSince.withLockedValue { $0 = now }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        entry?.evictor.withLockedValue {
            $0 = {
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.perform(handler.machine?.evict() ?? .none, context)
                }
            }
        }
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.checkEvery, delay: Self.checkEvery) { _ in
            let (handler, context) = loopBound.value
            handler.perform(handler.machine?.tick(now: context.eventLoop.now) ?? .none, context)
        }
    }

    private func perform(_ action: ConnectionStateMachine.Action, _ context: ChannelHandlerContext) {
        guard case .close(let reason) = action else { return }
        closedFor = reason
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if machine?.idleSince != nil {
            machine?.received(now: context.eventLoop.now)
            entry?.idleSince.withLockedValue { $0 = nil }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if machine?.idleSince == nil, machine?.state != .closed {
            let now = context.eventLoop.now
            machine?.answered(now: now)
            entry?.idleSince.withLockedValue { $0 = now }
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        machine?.closed()
        entry?.evictor.withLockedValue { $0 = nil }
        context.fireChannelInactive()
    }
}
