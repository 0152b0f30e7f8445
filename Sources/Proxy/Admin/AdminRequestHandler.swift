import Kube
import Logging
import NIOCore
import NIOHTTP1

/// Serves one admin connection: checks who connected (root or the admin group, by SO_PEERCRED),
/// then answers each HTTP request with ``AdminService``. Bodies are capped at 64 KiB.
final class AdminRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maximumBodyBytes = 64 * 1024

    private let service: AdminService
    private let configuration: AdminConfiguration
    private let logger: Logger
    private var caller: EventLoopFuture<PeerCredentials>?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(service: AdminService, configuration: AdminConfiguration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        caller = PeerCredentials.of(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let chunk):
            body += chunk.readableBytesView.prefix(Self.maximumBodyBytes + 1 - min(body.count, Self.maximumBodyBytes + 1))
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, body, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, _ body: [UInt8], context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        let service = self.service, configuration = self.configuration, logger = self.logger
        let caller = self.caller ?? PeerCredentials.of(context.channel)
        caller.flatMap { peer -> EventLoopFuture<AdminResponse> in
            guard peer.mayAdminister(group: configuration.adminGroup) else {
                logger.warning("admin request refused", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)", "path": "\(head.uri)"])
                return loop.makeSucceededFuture(.error(403, "uid \(peer.uid) may not use the admin socket: only \(configuration.allowedText) may"))
            }
            guard body.count <= Self.maximumBodyBytes else { return loop.makeSucceededFuture(.error(413, "the request body is over 64 KiB")) }
            logger.info("admin request", metadata: ["uid": "\(peer.uid)", "method": "\(head.method.rawValue)", "path": "\(head.uri)"])
            if let source = service.streamSource(method: head.method.rawValue, path: head.uri) {
                let request = body.isEmpty ? JSONValue.object([:]) : ((try? JSONParser.parse(body)) ?? .null)
                AdminStreamWriter.serve(source, request: request, channel: bound.value.channel)
                return loop.makeFailedFuture(AdminStreaming())
            }
            return service.respond(method: head.method.rawValue, path: head.uri, body: body, caller: peer, on: loop)
        }.flatMapErrorThrowing { error in
            // A stream answers by itself.
            if error is AdminStreaming { throw error }
            return .error(500, "\(error)")
        }.whenSuccess { response in
            LocalHTTPReply.write(status: HTTPResponseStatus(statusCode: response.status), contentType: "application/json",
                                 body: response.body, keepAlive: head.isKeepAlive, context: bound.value)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Marks a request that ``AdminStreamWriter`` answers.
private struct AdminStreaming: Error {}
