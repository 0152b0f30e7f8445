import NIOCore
import NIOHTTP1

/// Writes one complete answer of the gateway's local HTTP endpoints (the admin socket, the
/// metrics): head with its length, body, end; the connection closes after it unless kept alive.
enum LocalHTTPReply {
    static func write(status: HTTPResponseStatus, contentType: String, body: [UInt8], keepAlive: Bool,
                      context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
