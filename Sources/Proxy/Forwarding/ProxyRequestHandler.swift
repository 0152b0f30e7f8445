import Foundation
import Kube
import NIOCore
import NIOHTTP1

/// Serves one admitted agent connection, one request at a time: attributes and authenticates each
/// request, records it (and waits until it is recorded), forwards it with the gateway's
/// credential and the verified identity, and relays the response as it arrives, with
/// back-pressure. An upgrade (WebSocket or SPDY) turns the connection into a recorded byte relay.
final class ProxyRequestHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamResponseDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer, tooLarge: Bool)
        /// Authenticating, recording or connecting: the response has not started.
        case preparing(Exchange)
        case forwarding(Exchange, UpstreamConnection)
        /// The 101 head went out; the switch happens when the upstream response ends.
        case upgrading(Exchange, UpstreamConnection)
        /// The upstream response ended; it is delivered once its record is committed.
        case committing(Exchange)
        case upgraded
        case closed
    }

    /// One request in flight.
    private struct Exchange {
        var id: RequestID
        var head: HTTPRequestHead
        var keepAlive: Bool
        var responseBytes = 0
        var recordedBytes = 0
        /// Whether an ordinary response waits for its record (false for long-running requests).
        var holdsResponse = false
        var held: HeldResponse?
    }

    private let services: ProxyServices
    private let connection: ConnectionContext
    private let eventLoop: any EventLoop
    private var state = State.idle
    private var context: ChannelHandlerContext?

    init(services: ProxyServices, connection: ConnectionContext, eventLoop: any EventLoop) {
        self.services = services
        self.connection = connection
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0), tooLarge: false)
        case (.body(var chunk), .receiving(let head, var body, let tooLarge)):
            let over = tooLarge || body.readableBytes + chunk.readableBytes > services.configuration.maxRequestBodyBytes
            if !over { body.writeBuffer(&chunk) }
            state = .receiving(head, over ? context.channel.allocator.buffer(capacity: 0) : body, tooLarge: over)
        case (.end, .receiving(let head, let body, let tooLarge)):
            handle(head: head, body: body, tooLarge: tooLarge, context: context)
        default:
            // A request part out of order: HTTP/1.1 pipelining or a protocol error. Close.
            close(context)
        }
    }

    private func handle(head: HTTPRequestHead, body: ByteBuffer, tooLarge: Bool, context: ChannelHandlerContext) {
        let exchange = Exchange(id: services.ids.request(), head: head, keepAlive: head.isKeepAlive)
        state = .preparing(exchange)
        let target = RequestTarget(head.uri)
        let info: RequestInfo
        do {
            info = try RequestInfoResolver.resolve(method: head.method.rawValue, target: target)
        } catch {
            return reject(exchange, record(exchange, info: error.partial, target: target, identity: nil, body: body),
                          status: Status.internalError("failed to create RequestInfo: \(error.message)"), reason: error.message)
        }
        let tokenHeader = services.configuration.tokenHeader
        if tooLarge {
            return reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body),
                          status: ProxyReplies.bodyTooLarge, reason: "request body over the limit")
        }
        guard let token = UpstreamRequestBuilder.token(in: head.headers, header: tokenHeader) else {
            let (status, reason) = ProxyReplies.missingToken(header: tokenHeader)
            return reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body), status: status, reason: reason)
        }
        if head.headers.contains(where: { UpstreamRequestBuilder.isImpersonation($0.name) }) {
            return reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body),
                          status: ProxyReplies.clientImpersonation, reason: "the client sent Impersonate-* headers")
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        services.authenticator.authenticate(token: token, on: loop).whenComplete { result in
            let handler = bound.value
            switch result {
            case .success(.authenticated(let identity)) where UpstreamRequestBuilder.isHeaderSafe(identity):
                handler.forward(exchange, info: info, target: target, identity: identity, body: body)
            case .success(.authenticated):
                let (status, reason) = ProxyReplies.rejected("the verified identity has no username or contains control characters")
                handler.reject(exchange, handler.record(exchange, info: info, target: target, identity: nil, body: body),
                               status: status, reason: reason)
            case .success(.rejected(let reason)):
                let (status, why) = ProxyReplies.rejected(reason)
                handler.reject(exchange, handler.record(exchange, info: info, target: target, identity: nil, body: body),
                               status: status, reason: why)
            case .failure(let error):
                let (status, why) = ProxyReplies.rejected("authentication failed: \(error)")
                handler.reject(exchange, handler.record(exchange, info: info, target: target, identity: nil, body: body),
                               status: status, reason: why)
            }
        }
    }

    /// Records the request and returns the future of its durability.
    private func record(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity?,
                        body: ByteBuffer) -> EventLoopFuture<Void> {
        let limit = services.configuration.recordedBodyLimit
        let bytes = Array(body.readableBytesView.prefix(limit))
        let objectName = (try? JSONParser.parse(bytes))?[path: "metadata", "name"]?.stringValue
        let record = RequestRecord(
            id: exchange.id, connection: connection.id, time: ProxyClock.now(), method: exchange.head.method.rawValue,
            uri: exchange.head.uri, info: info, intent: Intent.describe(info, query: target.query, objectName: objectName),
            auditID: auditID(exchange), userAgent: exchange.head.headers.first(name: "user-agent") ?? "", identity: identity,
            headers: UpstreamRequestBuilder.redactedHeaders(exchange.head.headers, tokenHeader: services.configuration.tokenHeader),
            body: bytes, bodyTruncated: body.readableBytes > limit)
        return services.recorder.record(.requestReceived(record), on: eventLoop)
    }

    private func auditID(_ exchange: Exchange) -> String {
        exchange.head.headers.first(name: "audit-id").flatMap { $0.isEmpty ? nil : $0 } ?? exchange.id.auditID
    }

    // MARK: Answering ourselves

    /// Answers with `status` after the request's record is written, and records the refusal.
    private func reject(_ exchange: Exchange, _ recorded: EventLoopFuture<Void>, status: Status, reason: String) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        recorded.whenComplete { _ in
            let handler = bound.value
            _ = handler.services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status, reason: reason),
                                                 on: handler.eventLoop)
            handler.writeStatus(status, exchange: exchange)
        }
    }

    private func writeStatus(_ status: Status, exchange: Exchange) {
        guard let context else { return }
        let body = status.jsonBytes()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Audit-Id", value: auditID(exchange))
        if !exchange.keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.head.version,
                                                             status: HTTPResponseStatus(statusCode: status.code), headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        finishResponse(exchange, context: context)
    }

    private func finishResponse(_ exchange: Exchange, context: ChannelHandlerContext) {
        let keepAlive = exchange.keepAlive
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
        state = .idle
    }

    // MARK: Forwarding

    private func forward(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity, body: ByteBuffer) {
        var exchange = exchange
        exchange.holdsResponse = !info.isLongRunning
        state = .preparing(exchange)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        record(exchange, info: info, target: target, identity: identity, body: body).whenComplete { result in
            let handler = bound.value
            switch result {
            case .failure(let error):
                // The recorder keeps the refusal (and the request) until the store is back.
                let status = ProxyReplies.unrecorded(error)
                _ = handler.services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                                      reason: "the request could not be recorded: \(error)"),
                                                     on: handler.eventLoop)
                handler.writeStatus(status, exchange: exchange)
            case .success:
                handler.connectUpstream(exchange, identity: identity, body: body)
            }
        }
    }

    private func connectUpstream(_ exchange: Exchange, identity: VerifiedIdentity, body: ByteBuffer) {
        guard case .preparing = state else { return }
        let cluster = connection.cluster
        let key = UpstreamPoolKey(cluster: cluster.name, destination: connection.destination)
        let upstreamHead = UpstreamRequestBuilder.head(from: exchange.head, tokenHeader: services.configuration.tokenHeader,
                                                       identity: identity, credential: cluster.credential,
                                                       auditID: auditID(exchange), bodyLength: body.readableBytes)
        let isUpgrade = exchange.head.headers.contains(name: "upgrade")
        let pool = services.pools.pool(for: eventLoop)
        if !isUpgrade, let idle = pool.take(key) {
            return send(exchange, upstreamHead, body, over: idle)
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        UpstreamConnector.connect(key, cluster: cluster, services: services, on: eventLoop).whenComplete { result in
            let handler = bound.value
            switch result {
            case .success(let upstream):
                upstream.handler.onClose = { [weak pool] in pool?.forget(upstream) }
                handler.send(exchange, upstreamHead, body, over: upstream)
            case .failure(let error):
                let status = ProxyReplies.upstreamUnreachable(handler.connection.destination.description, error)
                _ = handler.services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                                      reason: "upstream unreachable: \(error)"), on: handler.eventLoop)
                handler.writeStatus(status, exchange: exchange)
            }
        }
    }

    private func send(_ exchange: Exchange, _ head: HTTPRequestHead, _ body: ByteBuffer, over upstream: UpstreamConnection) {
        guard case .preparing = state, context != nil else {
            upstream.close()
            return
        }
        state = .forwarding(exchange, upstream)
        upstream.send(head: head, body: body, delegate: self)
    }

    // MARK: Responses

    func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard case .forwarding(let exchange, let upstream) = state, let context else { return }
        var headers = HTTPHeaders()
        for (name, value) in head.headers where !UpstreamRequestBuilder.hopByHop.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if head.status == .switchingProtocols {
            for name in ["Connection", "Upgrade"] {
                for value in head.headers[canonicalForm: name] { headers.add(name: name, value: String(value)) }
            }
        } else if !exchange.keepAlive {
            headers.add(name: "Connection", value: "close")
        }
        _ = services.recorder.record(.responseStarted(exchange.id, time: ProxyClock.now(), status: Int(head.status.code),
                                                      headers: headers.map { ($0.name, $0.value) }), on: context.eventLoop)
        let outgoing = HTTPResponseHead(version: exchange.head.version, status: head.status, headers: headers)
        if head.status == .switchingProtocols {
            state = .upgrading(exchange, upstream)
        } else if exchange.holdsResponse, HeldResponse.fits(headers, limit: services.configuration.maxHeldResponseBytes) {
            var held = exchange
            held.held = HeldResponse(head: outgoing)
            state = .forwarding(held, upstream)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.head(outgoing)), promise: nil)
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard case .forwarding(var exchange, let upstream) = state, let context else { return }
        exchange.responseBytes += buffer.readableBytes
        let room = max(0, services.configuration.recordedBodyLimit - exchange.recordedBytes)
        if room > 0 {
            let bytes = Array(buffer.readableBytesView.prefix(room))
            exchange.recordedBytes += bytes.count
            _ = services.recorder.record(.responseBody(exchange.id, bytes: bytes), on: context.eventLoop)
        }
        if var held = exchange.held {
            held.append(buffer)
            if held.bytes <= services.configuration.maxHeldResponseBytes {
                exchange.held = held
                state = .forwarding(exchange, upstream)
                return
            }
            exchange.held = nil
            state = .forwarding(exchange, upstream)
            release(held, context: context)
        } else {
            state = .forwarding(exchange, upstream)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        if !context.channel.isWritable {
            upstream.channel.setOption(.autoRead, value: false).whenFailure { _ in }
        }
    }

    func upstreamResponseEnd() {
        if case .upgrading(let exchange, let upstream) = state, let context {
            return upgrade(exchange, upstream, context: context)
        }
        guard case .forwarding(let exchange, let upstream) = state, let context else { return }
        let recorded = services.recorder.record(.responseCompleted(exchange.id, time: ProxyClock.now(), bytes: exchange.responseBytes),
                                                on: context.eventLoop)
        upstream.finishedRequest()
        services.pools.pool(for: context.eventLoop).give(upstream)
        guard exchange.held != nil else { return finishResponse(exchange, context: context) }
        state = .committing(exchange)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        recorded.whenComplete { result in
            bound.value.deliver(exchange, recorded: result)
        }
    }

    /// Delivers a held response once its record is committed; withholds it (503) when recording failed.
    private func deliver(_ exchange: Exchange, recorded: Result<Void, any Error>) {
        guard case .committing = state, let context, let held = exchange.held else { return }
        switch recorded {
        case .success:
            release(held, context: context)
            finishResponse(exchange, context: context)
        case .failure(let error):
            let status = ProxyReplies.responseUnrecorded(error)
            _ = services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                          reason: "the response could not be recorded: \(error)"), on: eventLoop)
            writeStatus(status, exchange: exchange)
        }
    }

    private func release(_ held: HeldResponse, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(held.head)), promise: nil)
        for part in held.parts { context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
        context.flush()
    }

    func upstreamFailed(_ error: any Error) {
        guard let context else { return }
        switch state {
        case .forwarding(let exchange, _) where exchange.responseBytes == 0 || exchange.held != nil:
            let status = ProxyReplies.upstreamFailed(connection.destination.description, error)
            _ = services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                          reason: "upstream failed: \(error)"), on: context.eventLoop)
            state = .preparing(exchange)
            writeStatus(status, exchange: exchange)
        case .forwarding:
            // The response had started: the client sees the connection end.
            close(context)
        default:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(_, let upstream) = state {
            upstream.channel.setOption(.autoRead, value: true).whenFailure { _ in }
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Upgrades

    /// After a 101 both connections stop speaking HTTP: the HTTP handlers come out and every byte
    /// is relayed (and recorded) as it is.
    private func upgrade(_ exchange: Exchange, _ upstream: UpstreamConnection, context: ChannelHandlerContext) {
        state = .upgraded
        context.flush()
        do {
            try RawRelay.join(client: context.channel, upstream: upstream.channel, request: exchange.id, connection: connection.id,
                              services: services)
        } catch {
            services.logger.error("cannot switch the connection to a byte relay: \(error)")
            upstream.close()
            close(context)
        }
    }

    // MARK: Closing

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state { upstream.close() }
        if case .upgrading(_, let upstream) = state { upstream.close() }
        state = .closed
        _ = services.recorder.record(.connectionClosed(connection.id, time: ProxyClock.now()), on: context.eventLoop)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        services.logger.debug("connection error", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
        close(context)
    }

    private func close(_ context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state { upstream.close() }
        if case .upgrading(_, let upstream) = state { upstream.close() }
        state = .closed
        context.close(promise: nil)
    }
}

extension RequestID {
    /// A stable audit ID for a request the client gave none: a UUID derived from the process
    /// start and the request number.
    var auditID: String {
        RequestID.prefix + String(format: "%012llx", value)
    }

    private static let prefix: String = {
        let uuid = UUID().uuidString.lowercased()
        return String(uuid.prefix(24))
    }()
}
