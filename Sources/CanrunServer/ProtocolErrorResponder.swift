import NIOCore
import NIOHTTP1

/// Answers bytes that are not HTTP/1.1 with the API's JSON error and closes the connection:
/// 413 when the request line and headers outgrow their limit, 400 for anything else unparsable.
final class ProtocolErrorResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxHeaderBytes: Int
    private var answered = false

    init(maxHeaderBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let apiError: APIError
        switch parse {
        case .headerOverflow:
            apiError = .tooLarge("the request line and headers", limit: maxHeaderBytes)
        default:
            apiError = .badRequest(
                "the request is not valid HTTP/1.1 (\(parse))",
                hint: "curl --unix-socket PATH http://localhost/v1/health"
            )
        }
        let response = APIResponse.error(apiError)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
