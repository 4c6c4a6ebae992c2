import NIOCore
import NIOHTTP1

/// The whole pipeline of a connection the `ConnectionPolicy` refused: it reads the client's
/// request, so that closing does not reset the connection with the request unread, answers 503
/// with `Retry-After` and the reason, and closes.
final class RefusalResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let refusal: APIResponse
    private var version = HTTPVersion.http1_1

    init(_ refusal: APIResponse) {
        self.refusal = refusal
    }

    /// The answer for `why`, naming the limit and whose it is.
    static func answer(_ why: ConnectionPolicy.Refusal, peer: ConnectionPolicy.Peer) -> APIResponse {
        let message: String
        switch why {
        case .peerShare(let share):
            message = "\(peer) holds its share of \(share) connections already, none of them idle"
        case .full(let limit):
            message = "all \(limit) connections \(peer) may use are busy"
        }
        var response = APIResponse.error(
            .init(
                status: .serviceUnavailable,
                code: "too_many_connections",
                message: message,
                hint: "retry shortly; keep-alive clients should reuse their connections"
            )
        )
        response.retryAfterSeconds = 1
        return response
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): version = head.version
        case .body: break
        case .end: ResponseWriter.write(refusal, version: version, keepAlive: false, context: context)
        }
    }
}
