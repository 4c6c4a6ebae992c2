import NIOCore
import NIOHTTP1

/// One connection's requests, answered on its event loop: the dispatcher answers reads at once
/// (no hop to another thread per request); an admin action runs as a task and its answer is
/// written back on the loop. HTTP pipelining keeps answers in request order.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let dispatcher: APIDispatcher
    private let peer: PeerCredentials?
    private let maxBodyBytes: Int
    private var head: HTTPRequestHead?
    /// The body up to the limit; past it only counted (answered 413 without holding it).
    private var body: [UInt8] = []
    private var bodyBytes = 0
    /// The client shut its sending side: answer what is in flight, then close.
    private var inputClosed = false
    /// An admin action is running; its answer is still to be written.
    private var pending = false
    /// The request declared a body over the limit: answered 413 at its head, the connection
    /// closing; what still arrives of it is dropped.
    private var refused = false

    init(dispatcher: APIDispatcher, peer: PeerCredentials?, maxBodyBytes: Int) {
        self.dispatcher = dispatcher
        self.peer = peer
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            guard !refused else { return }
            // A declared body over the limit is answered at once: waiting for bytes the
            // daemon would drop only holds the connection until the request timeout.
            if let declared = h.headers.first(name: "content-length").flatMap({ Int($0) }), declared > maxBodyBytes {
                refused = true
                let error = APIError.tooLarge("the request body (Content-Length \(declared))", limit: maxBodyBytes)
                ResponseWriter.write(.error(error), version: h.version, keepAlive: false, context: context)
                return
            }
            head = h
            body = []
            bodyBytes = 0
        case .body(let buffer):
            guard !refused else { return }
            bodyBytes += buffer.readableBytes
            if bodyBytes <= maxBodyBytes { body += buffer.readableBytesView }
        case .end:
            guard !refused, let request = head else { return }
            head = nil
            let method = request.method
            let received = body
            body = []
            if let response = dispatcher.respondNow(
                method: method,
                target: request.uri,
                body: received,
                bodyBytes: bodyBytes,
                peer: peer
            ) {
                write(response, for: request, context: context)
                return
            }
            pending = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let (dispatcher, peer, bodyBytes) = (self.dispatcher, self.peer, self.bodyBytes)
            let eventLoop = context.eventLoop
            Task {
                let response = await dispatcher.respond(
                    method: method,
                    target: request.uri,
                    body: received,
                    bodyBytes: bodyBytes,
                    peer: peer
                )
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.pending = false
                    handler.write(response, for: request, context: context)
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            if head == nil, !pending { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func write(_ response: APIResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive && response.status.code < 500 && !inputClosed
        ResponseWriter.write(response, version: request.version, keepAlive: keepAlive, context: context)
    }
}
