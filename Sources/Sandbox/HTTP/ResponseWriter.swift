import NIOCore
import NIOHTTP1

/// Writes one response on the event loop: complete with a Content-Length, or streamed in
/// chunks flushed one by one. Closes the connection afterwards when the client asked for that.
struct ResponseWriter {
    let context: ChannelHandlerContext
    let head: HTTPRequestHead
    let auditID: String

    private func responseHead(code: Int, contentType: String, contentLength: Int?) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Audit-Id", value: auditID)
        headers.add(name: "Cache-Control", value: "no-cache, private")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        if let contentLength { headers.add(name: "Content-Length", value: String(contentLength)) }
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: code), headers: headers)
    }

    func writeComplete(code: Int, contentType: String, body: [UInt8]) {
        context.write(NIOAny(HTTPServerResponsePart.head(responseHead(code: code, contentType: contentType, contentLength: body.count))),
                      promise: nil)
        if head.method != .HEAD {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        end()
    }

    func beginStream(contentType: String) {
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(responseHead(code: 200, contentType: contentType, contentLength: nil))),
                              promise: nil)
    }

    func writeChunk(_ bytes: [UInt8]) {
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))),
                              promise: nil)
    }

    func end() {
        let keepAlive = head.isKeepAlive
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    var eventLoop: EventLoop { context.eventLoop }
    var isActive: Bool { context.channel.isActive }
}

/// A response that keeps writing after its head: a watch or a followed log.
protocol ResponseStream: AnyObject {
    /// Starts writing. `ended` is called once, on the event loop, with whether the client left first.
    func start(ended: @escaping (_ closedEarly: Bool) -> Void)
    /// The connection went away; stop without writing.
    func connectionClosed()
}
