import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends one GET when the channel becomes active and collects the response body into `promise`.
///
/// Invariants: the promise is completed exactly once, on whichever comes first of the complete
/// response, a non-200 status, a body over `limit`, an error, the deadline, or the channel closing;
/// the channel is closed after that. Content-Length, chunked and close-delimited bodies are all
/// decoded by NIOHTTP1 before they reach this handler.
final class DiscoveryResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let url: FetchURL
    private let limit: Int
    private let deadline: NIODeadline
    private let promise: EventLoopPromise<[UInt8]>
    private var body: [UInt8] = []
    private var completed = false
    private var timeout: Scheduled<Void>?

    init(url: FetchURL, limit: Int, deadline: NIODeadline, promise: EventLoopPromise<[UInt8]>) {
        self.url = url
        self.limit = limit
        self.deadline = deadline
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            finish(context, .failure(DiscoveryFetchError(url: url.text, kind: .timeout)))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
        if !completed {
            completed = true
            promise.fail(DiscoveryFetchError(url: url.text, kind: .connectionClosed))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "portcullis-oidc")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.requestTarget, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !completed else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status != .ok {
                finish(context, .failure(DiscoveryFetchError(url: url.text, kind: .status(Int(head.status.code)))))
            } else if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                finish(context, .failure(DiscoveryFetchError(url: url.text, kind: .tooLarge, detail: "\(length) bytes")))
            }
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= limit else {
                finish(context, .failure(DiscoveryFetchError(url: url.text, kind: .tooLarge, detail: "over \(limit) bytes")))
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            finish(context, .success(body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(DiscoveryFetchError(url: url.text, kind: .connectionClosed)))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let kind: DiscoveryFetchError.Kind = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError ? .tls : .connectionClosed
        finish(context, .failure(DiscoveryFetchError(url: url.text, kind: kind, detail: String(describing: error))))
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<[UInt8], DiscoveryFetchError>) {
        guard !completed else { return }
        completed = true
        timeout?.cancel()
        promise.completeWith(result.mapError { $0 as any Error })
        context.close(promise: nil)
    }
}
