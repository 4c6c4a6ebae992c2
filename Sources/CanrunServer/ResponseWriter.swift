import NIOCore
import NIOHTTP1

/// Writes one answer as the HTTP server pipeline expects it: head (Content-Type,
/// Content-Length, Connection, and Retry-After when the answer asks a client to come back),
/// body and end; a connection not kept alive is closed once the end is flushed. Every answer
/// the daemon sends — routes, protocol errors, refusals — goes through here.
enum ResponseWriter {
    static func write(
        _ response: APIResponse,
        version: HTTPVersion,
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        if let seconds = response.retryAfterSeconds { headers.add(name: "Retry-After", value: String(seconds)) }
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(
            NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))),
            promise: nil
        )
        if keepAlive {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}
