import NIOCore
import NIOHTTP1

/// Answers one scrape: `GET /metrics` with the rendered text, 404 for anything else.
final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let render: @Sendable () -> String
    private var head: HTTPRequestHead?

    init(render: @escaping @Sendable () -> String) { self.render = render }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let found = head.method == .GET && head.uri.split(separator: "?").first == "/metrics"
            let body = found ? render() : "not found: scrape GET /metrics\n"
            LocalHTTPReply.write(status: found ? .ok : .notFound,
                                 contentType: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                                 body: Array(body.utf8), keepAlive: head.isKeepAlive, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
