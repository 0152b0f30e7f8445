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

    func close() {
        handler.delegate = nil
        channel.close(promise: nil)
    }
}
