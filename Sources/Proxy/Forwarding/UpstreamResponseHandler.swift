import NIOCore
import NIOHTTP1

/// Who gets an upstream response: the client connection's proxy handler, on the same event loop.
protocol UpstreamResponseDelegate: AnyObject {
    func upstreamResponseHead(_ head: HTTPResponseHead)
    func upstreamResponseBody(_ buffer: ByteBuffer)
    func upstreamResponseEnd()
    /// The upstream connection failed or closed before the response ended.
    func upstreamFailed(_ error: any Error)
}

/// The last handler of an upstream connection: hands response parts to the current delegate and
/// tells the connection when it closes.
final class UpstreamResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var delegate: (any UpstreamResponseDelegate)?
    /// Run once when the connection closes. It must not hold the ``UpstreamConnection`` strongly:
    /// the connection holds this handler, and a handler removed for an upgrade never sees the close.
    var onClose: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let delegate else { return }
        switch unwrapInboundIn(data) {
        case .head(let head): delegate.upstreamResponseHead(head)
        case .body(let buffer): delegate.upstreamResponseBody(buffer)
        case .end: delegate.upstreamResponseEnd()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        onClose = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        let delegate = self.delegate, onClose = self.onClose
        self.delegate = nil
        self.onClose = nil
        onClose?()
        delegate?.upstreamFailed(UpstreamClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamFailed(error)
        context.close(promise: nil)
    }
}

/// The upstream (the API server, or a relay) closed the connection before the response ended.
struct UpstreamClosed: Error, CustomStringConvertible {
    var description: String { "the connection closed before the response was complete" }
}
