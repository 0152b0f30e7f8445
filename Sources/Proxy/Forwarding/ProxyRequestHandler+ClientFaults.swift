import Kube
import NIOCore
import NIOHTTP1
import NIOTLS

/// A client's fault (``ClientFault``): a malformed head, one over the header limit, a body over
/// `maxRequestBodyBytes`, a head or body too slow. The gateway records the request as far as it
/// arrived, with what was wrong, answers with the fault's Status (`Connection: close`) once the
/// record is written, and closes; a fault with no answer only closes the connection.
extension ProxyRequestHandler {
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The TLS handshake's end passes by here too: the connection's `accept_tls` stage.
        if case .handshakeCompleted = event as? TLSUserEvent {
            tlsEstablished = true
            services.stages.record(.acceptAndTLS, since: connection.acceptedAt)
        }
        guard let fault = event as? ClientFault else { return context.fireUserInboundEventTriggered(event) }
        refuse(fault, context: context)
    }

    func refuse(_ fault: ClientFault, context: ChannelHandlerContext) {
        let head: HTTPRequestHead, body: ByteBuffer
        switch state {
        case .idle:
            let line = headProgress.requestLine
            head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: line?.method ?? ""), uri: line?.target ?? "")
            body = context.channel.allocator.buffer(capacity: 0)
        case .receiving(let received, let bytes):
            (head, body) = (received, bytes)
        case .refusing, .closing, .closed:
            return
        default:
            // Mid-way through a response: the connection just ends.
            return close(context)
        }
        services.logger.info("refused a client's request", metadata: [
            "connection": "\(connection.id)", "problem": "\(fault.problem)", "answer": "\(fault.status.map { String($0.code) } ?? "none")",
        ])
        guard let status = fault.status else { return close(context) }
        let exchange = Exchange(id: services.ids.request(), head: head, keepAlive: false)
        state = .refusing(exchange)
        let target = RequestTarget(head.uri)
        let info = (try? RequestInfoResolver.resolve(method: head.method.rawValue, target: target))
            ?? RequestInfo(path: target.path, verb: head.method.rawValue.lowercased())
        let intent = fault.intent + (head.uri.isEmpty ? "" : ": \(head.method.rawValue) \(head.uri)")
        reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body, intent: intent),
               status: status, reason: fault.problem)
    }
}
