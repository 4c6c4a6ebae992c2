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
        ResponseWriter.write(.error(apiError), version: .http1_1, keepAlive: false, context: context)
    }
}
