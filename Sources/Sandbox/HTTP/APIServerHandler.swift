import Kube
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: collects each request, admits it, asks ``SandboxAPI`` and
/// writes the answer, streaming watches and followed logs until they end.
///
/// At most one response is in progress at a time; `HTTPServerPipelineHandler` holds pipelined
/// requests back until the current response has ended.
final class APIServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let services: SandboxServices
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var bodyTooLarge = false
    private var stream: ResponseStream?

    init(services: SandboxServices) {
        self.services = services
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            bodyTooLarge = false
        case .body(let buffer):
            if body.count + buffer.readableBytes > services.maxBodyBytes {
                bodyTooLarge = true
                body = []
            } else if !bodyTooLarge {
                body += buffer.readableBytesView
            }
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stream?.connectionClosed()
        stream = nil
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let admitted = AdmittedRequest(head: head, sourceIP: Self.sourceIP(context.remoteAddress),
                                       authenticator: services.authenticator)
        if let refusal = admitted.refusal {
            return finish(.status(refusal), admitted: admitted, head: head, context: context)
        }
        if bodyTooLarge {
            return finish(.status(Status.requestEntityTooLarge("limit is \(services.maxBodyBytes)")),
                          admitted: admitted, head: head, context: context)
        }
        let request = APIRequest(
            method: admitted.method, target: admitted.target, info: admitted.info,
            accept: head.headers[canonicalForm: "accept"].joined(separator: ","),
            contentType: head.headers.first(name: "content-type") ?? "",
            upgrade: (head.headers.first(name: "upgrade") ?? "").lowercased(), body: body,
            user: admitted.identity?.effective ?? AdmittedRequest.anonymous)
        body = []
        finish(services.api.handle(request), admitted: admitted, head: head, context: context)
    }

    private func finish(_ response: APIResponse, admitted: AdmittedRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let writer = ResponseWriter(context: context, head: head, auditID: admitted.auditID)
        switch response {
        case .json(let code, let json, let contentType):
            writer.writeComplete(code: code, contentType: contentType, body: json.jsonBytes() + [UInt8(ascii: "\n")])
            audit(admitted, .responseComplete, AdmittedRequest.responseStatus(code: code))
        case .raw(let code, let bytes, let contentType):
            writer.writeComplete(code: code, contentType: contentType, body: bytes)
            audit(admitted, .responseComplete, AdmittedRequest.responseStatus(code: code))
        case .status(let status):
            writer.writeComplete(code: status.code, contentType: "application/json", body: status.jsonBytes())
            audit(admitted, .responseComplete, AdmittedRequest.responseStatus(code: status.code, status: status))
        case .watch(let plan):
            startStream(WatchStream(plan: plan, store: services.api.store, writer: writer), admitted: admitted, context: context)
        case .logs(let plan):
            if plan.follow {
                startStream(LogStream(plan: plan, store: services.api.store, interval: services.logInterval, writer: writer),
                            admitted: admitted, context: context)
            } else {
                let text = LogLines.render(plan, interval: services.logInterval, until: SandboxClock.now())
                writer.writeComplete(code: 200, contentType: "text/plain", body: Array(text.utf8))
                audit(admitted, .responseComplete, AdmittedRequest.responseStatus(code: 200))
            }
        }
    }

    private func startStream(_ stream: ResponseStream, admitted: AdmittedRequest, context: ChannelHandlerContext) {
        self.stream = stream
        audit(admitted, .responseStarted, AdmittedRequest.responseStatus(code: 200))
        let audit = services.audit
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        stream.start { closedEarly in
            loopBoundSelf.value.stream = nil
            let status = closedEarly
                ? Status(status: Status.success, message: "Connection closed early", code: 200)
                : AdmittedRequest.responseStatus(code: 200)
            audit?.write(admitted.auditEvent(stage: .responseComplete, status: status))
        }
    }

    private func audit(_ admitted: AdmittedRequest, _ stage: AuditEvent.Stage, _ status: Status) {
        services.audit?.write(admitted.auditEvent(stage: stage, status: status))
    }
}

extension APIServerHandler {
    /// The peer's IP, with an IPv4-mapped IPv6 address written as IPv4.
    static func sourceIP(_ address: SocketAddress?) -> String {
        guard let ip = address?.ipAddress else { return "" }
        return ip.hasPrefix("::ffff:") && ip.contains(".") ? String(ip.dropFirst(7)) : ip
    }
}
