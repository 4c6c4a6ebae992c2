import NIOCore

/// Closes a connection whose request takes too long to arrive (a client trickling bytes, the
/// slowloris attack) or that sits idle between requests. Placed first in the pipeline, it sees
/// raw bytes both ways: the first inbound byte of a request starts its clock, the first outbound
/// byte of the answer stops it. One repeating check per connection (every second) closes it when
/// the clock has run past the limit, or when it idled with no request in progress: no timer per
/// request, which the busiest connections would pay on every answer.
final class ConnectionTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let checkEvery = TimeAmount.seconds(1)

    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// When the request in progress began; nil between requests.
    private var requestStarted: NIODeadline?
    private var lastActivity = NIODeadline.now()
    private var check: RepeatedTask?

    init(requestTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard check == nil else { return }
        lastActivity = .now()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.checkEvery, delay: Self.checkEvery) { _ in
            let (handler, context) = loopBound.value
            let now = NIODeadline.now()
            if let started = handler.requestStarted, now - started > handler.requestTimeout {
                context.close(promise: nil)
            } else if handler.requestStarted == nil, now - handler.lastActivity > handler.idleTimeout {
                context.close(promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if requestStarted == nil { requestStarted = .now() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        requestStarted = nil
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }
}
