import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends one request when the channel becomes active and collects the whole response.
///
/// Invariants: the promise is completed exactly once, on whichever comes first of the complete
/// response, a body over `limit`, an error, the deadline, or the channel closing; the channel is
/// closed after that.
final class ClusterResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let requestBody: [UInt8]
    private let limit: Int
    private let deadline: NIODeadline
    private let promise: EventLoopPromise<ClusterResponse>
    private let fail: @Sendable (ClusterRequestError.Kind, String) -> ClusterRequestError
    private var response: ClusterResponse?
    private var completed = false
    private var timeout: Scheduled<Void>?

    init(head: HTTPRequestHead, body: [UInt8], limit: Int, deadline: NIODeadline, promise: EventLoopPromise<ClusterResponse>,
         fail: @escaping @Sendable (ClusterRequestError.Kind, String) -> ClusterRequestError) {
        self.head = head
        self.requestBody = body
        self.limit = limit
        self.deadline = deadline
        self.promise = promise
        self.fail = fail
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            finish(context, .failure(fail(.timeout, "")))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        if !completed {
            completed = true
            promise.fail(fail(.connectionClosed, ""))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !requestBody.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: requestBody)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !completed else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = ClusterResponse(status: Int(head.status.code), contentType: head.headers.first(name: "content-type") ?? "", body: [])
        case .body(var buffer):
            guard let count = response?.body.count, count + buffer.readableBytes <= limit else {
                finish(context, .failure(fail(.tooLarge, "over \(limit) bytes")))
                return
            }
            response?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let response else { return finish(context, .failure(fail(.connectionClosed, "no response head"))) }
            finish(context, .success(response))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(fail(.connectionClosed, "")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let isTLS = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
        finish(context, .failure(fail(isTLS ? .tls : .connectionClosed, String(describing: error))))
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<ClusterResponse, ClusterRequestError>) {
        guard !completed else { return }
        completed = true
        timeout?.cancel()
        promise.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
