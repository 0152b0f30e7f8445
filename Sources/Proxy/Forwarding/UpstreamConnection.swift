import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection to an API server, used for one request at a time and returned to its
/// pool when the response ended with keep-alive. Lives on one event loop.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamResponseHandler
    let key: UpstreamPoolKey
    private(set) var busy = false

    init(channel: any Channel, handler: UpstreamResponseHandler, key: UpstreamPoolKey) {
        self.channel = channel
        self.handler = handler
        self.key = key
    }

    var isActive: Bool { channel.isActive }

    /// Sends a request; the response goes to `delegate`.
    func send(head: HTTPRequestHead, body: ByteBuffer?, delegate: any UpstreamResponseDelegate) {
        busy = true
        handler.delegate = delegate
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, body.readableBytes > 0 { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    /// The response is over: the connection may serve another request.
    func finishedRequest() {
        busy = false
        handler.delegate = nil
    }

    /// When the connection closes, it leaves `pool` (if it is idle there). The closure holds
    /// neither strongly: the connection holds its handler, which holds the closure, and an upgraded
    /// connection's handler is removed before the close, so nothing would break that cycle.
    func leavesOnClose(_ pool: LoopPool) {
        handler.onClose = { [weak pool, weak self] in
            if let self { pool?.forget(self) }
        }
    }

    func close() {
        handler.delegate = nil
        channel.close(promise: nil)
    }
}
