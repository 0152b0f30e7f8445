import Kube
import NIOCore
import NIOHTTP1

/// Stands in for the request handler on a connection the proxy refused but answers: one over its
/// caller's cap (a 429 Status with `Retry-After: 1`, as kube-apiserver's max-in-flight filter
/// does), or a relay's connection from a gateway it does not admit. Answers the first request with
/// the Status and `Connection: close`, then closes. The connection was recorded as refused when it
/// was accepted.
final class RefusalResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let status: Status
    private var answered = false

    init(status: Status) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data), !answered else { return }
        answered = true
        let body = status.jsonBytes()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        if let seconds = status.details?.retryAfterSeconds { headers.add(name: "Retry-After", value: String(seconds)) }
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: status.code), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ClientFault, !answered {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !answered { context.close(promise: nil) }
    }
}
