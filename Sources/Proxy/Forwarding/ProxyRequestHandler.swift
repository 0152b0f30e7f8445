import Foundation
import Kube
import NIOCore
import NIOHTTP1

/// Serves one admitted agent connection, one request at a time: attributes and authenticates each
/// request, decides it by policy (holding it for a reviewer when a rule says so), records it (and
/// waits until it is recorded), forwards it with the gateway's
/// credential and the verified identity (or, for a cluster behind a relay, to the relay with the
/// agent's token unchanged), and answers with the response: an ordinary one once its
/// record is committed (``HeldResponse``), a long-running one as it arrives, with back-pressure.
/// An upgrade (WebSocket or SPDY) turns the connection into a recorded byte relay.
final class ProxyRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        /// Authenticating, recording or connecting: the response has not started.
        case preparing(Exchange)
        /// Recorded and held until a reviewer decides (``ReviewQueue``).
        case reviewing(Exchange, ReviewWait)
        case forwarding(Exchange, UpstreamConnection)
        /// The 101 head went out; the switch happens when the upstream response ends.
        case upgrading(Exchange, UpstreamConnection)
        /// The upstream response ended; it is delivered once its record is committed.
        case committing(Exchange)
        case upgraded
        /// The gateway answers the request itself before it ended (``ClientFault``): the rest of it
        /// is ignored, and the connection closes after the answer.
        case refusing(Exchange)
        /// The last answer is being written; input is ignored until the connection closes.
        case closing
        case closed
    }

    /// One request in flight.
    struct Exchange {
        var id: RequestID
        var head: HTTPRequestHead
        var keepAlive: Bool
        var responseBytes = 0
        var recordedBytes = 0
        /// Whether an ordinary response waits for its record (false for long-running requests).
        var holdsResponse = false
        var held: HeldResponse?
        /// When the request was sent to the API server, and when its response ended (monotonic),
        /// for the stage timers.
        var sentAt: NIODeadline?
        var endedAt: NIODeadline?
        /// The response is held only because the request's record is not committed yet (a read
        /// forwarded early whose response is long-running or larger than the hold limit).
        var heldForRequestRecord = false
        /// The fingerprint of the request's token (``TokenFingerprint``), once it was found.
        var tokenFingerprint: String?
        /// On a relay: the agent's source as the gateway reported it (``ReportedSource``).
        var reportedSource: String?
        /// The upstream's response head arrived.
        var responseStarted = false
        /// The upstream said `Connection: close` (a relay refusing a gateway does): its connection
        /// is not pooled afterwards.
        var upstreamCloses = false
        /// Set while a GET or HEAD waits on a pooled keep-alive connection: if that connection turns
        /// out closed before any answer (the upstream closed it while it was idle; a relay closes a
        /// revoked gateway's), the request goes again, once, on a fresh connection, as Go's
        /// `net/http` retries an idempotent request on a reused connection.
        var retry: UpstreamRetry?
    }

    /// What sending a request again takes.
    struct UpstreamRetry {
        var identity: VerifiedIdentity
        var body: ByteBuffer
    }

    let services: ProxyServices
    let connection: ConnectionContext
    let eventLoop: any EventLoop
    /// The bytes of the head being read, for the record of a request the decoder cannot parse.
    let headProgress: RequestHeadProgress
    var state = State.idle
    var context: ChannelHandlerContext?
    /// The record of the read in flight that was forwarded before it was committed.
    var earlyRecord: EarlyRecord?
    /// Whether the TLS handshake completed; until it does, an error or a close is recorded with
    /// the connection's end as why it ended.
    var tlsEstablished = false
    /// Why the connection ended before its TLS handshake completed.
    var handshakeFailure: String?
    /// The agent's source as this connection reports it to a relay, made at the first request.
    lazy var reportedSource = ReportedSource.Template(connection: connection)

    init(services: ProxyServices, connection: ConnectionContext, eventLoop: any EventLoop, headProgress: RequestHeadProgress) {
        self.services = services
        self.connection = connection
        self.eventLoop = eventLoop
        self.headProgress = headProgress
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let limit = services.configuration.maxRequestBodyBytes
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
            // Answered at once, as kube-apiserver's handler does on reading past its limit.
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
                refuse(.bodyTooLarge(limit: limit, declared: declared), context: context)
            }
        case (.body(var chunk), .receiving(let head, var body)):
            guard body.readableBytes + chunk.readableBytes <= limit else {
                return refuse(.bodyTooLarge(limit: limit, declared: nil), context: context)
            }
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            handle(head: head, body: body, context: context)
        case (_, .refusing), (_, .closing):
            break
        default:
            // A request part out of order: HTTP/1.1 pipelining or a protocol error. Close.
            close(context)
        }
    }

    func handle(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        earlyRecord = nil
        var relayProblem: ReportedSource.Problem?, reported: String?
        if connection.gateway != nil {
            switch ReportedSource.decode(head.headers) {
            case .success(let value): reported = value
            case .failure(let problem): relayProblem = problem
            }
        }
        var exchange = Exchange(id: services.ids.request(), head: head, keepAlive: head.isKeepAlive, reportedSource: reported)
        state = .preparing(exchange)
        let target = RequestTarget(head.uri)
        let info: RequestInfo
        do {
            info = try RequestInfoResolver.resolve(method: head.method.rawValue, target: target)
        } catch {
            return reject(exchange, record(exchange, info: error.partial, target: target, identity: nil, body: body),
                          status: Status.internalError("failed to create RequestInfo: \(error.message)"), reason: error.message)
        }
        if let relayProblem {
            return reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body),
                          status: ProxyReplies.badRelayRequest(relayProblem.description), reason: relayProblem.description)
        }
        let tokenHeader = services.configuration.tokenHeader
        guard let token = UpstreamRequestBuilder.token(in: head.headers, header: tokenHeader) else {
            let (status, reason) = ProxyReplies.missingToken(header: tokenHeader)
            return reject(exchange, record(exchange, info: info, target: target, identity: nil, body: body), status: status, reason: reason)
        }
        exchange.tokenFingerprint = TokenFingerprint.of(token)
        let authenticating = exchange
        state = .preparing(authenticating)
        if let forged = head.headers.first(where: { UpstreamRequestBuilder.isIdentityHeader($0.name) }) {
            return reject(authenticating, record(authenticating, info: info, target: target, identity: nil, body: body),
                          status: ProxyReplies.clientImpersonation,
                          reason: "the client sent Impersonate-* or X-Remote-* headers (\(forged.name))")
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        // A cached token is answered with a future already complete, whose callback runs at once,
        // before `whenComplete` returns: that tells a cache hit from a verification.
        let started = NIODeadline.now()
        let pending = NIOLoopBoundBox(false, eventLoop: loop)
        services.authenticator.authenticate(token: token, on: loop).whenComplete { result in
            let handler = bound.value
            handler.services.stages.record(pending.value ? .authenticationVerified : .authenticationCached, since: started)
            switch result {
            case .success(.authenticated(let identity)) where UpstreamRequestBuilder.isHeaderSafe(identity):
                handler.admit(authenticating, info: info, target: target, identity: identity, body: body)
            case .success(.authenticated):
                let (status, reason) = ProxyReplies.rejected("the verified identity has no username or contains control characters")
                handler.reject(authenticating, handler.record(authenticating, info: info, target: target, identity: nil, body: body),
                               status: status, reason: reason)
            case .success(.rejected(let reason)):
                let (status, why) = ProxyReplies.rejected(reason)
                handler.reject(authenticating, handler.record(authenticating, info: info, target: target, identity: nil, body: body),
                               status: status, reason: why)
            case .failure(let error):
                let (status, why) = ProxyReplies.rejected("authentication failed: \(error)")
                handler.reject(authenticating, handler.record(authenticating, info: info, target: target, identity: nil, body: body),
                               status: status, reason: why)
            }
        }
        pending.value = true
    }

    /// Records the request and returns the future of its durability.
    func record(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity?,
                body: ByteBuffer, decision: PolicyDecision? = nil, intent: String? = nil) -> EventLoopFuture<Void> {
        let limit = services.configuration.recordedBodyLimit
        let bytes = Array(body.readableBytesView.prefix(limit))
        let objectName = KubeBody.json(bytes)?[path: "metadata", "name"]?.stringValue
        var record = RequestRecord(
            id: exchange.id, connection: connection.id, time: ProxyClock.now(), method: exchange.head.method.rawValue,
            uri: exchange.head.uri, info: info, intent: intent ?? Intent.describe(info, query: target.query, objectName: objectName),
            auditID: auditID(exchange), userAgent: exchange.head.headers.first(name: "user-agent") ?? "", identity: identity,
            headers: UpstreamRequestBuilder.redactedHeaders(exchange.head.headers, tokenHeader: services.configuration.tokenHeader),
            body: bytes, bodyTruncated: body.readableBytes > limit)
        record.decision = decision
        record.tokenFingerprint = exchange.tokenFingerprint
        record.reportedSource = exchange.reportedSource
        return services.recorder.record(.requestReceived(record), on: eventLoop)
    }

    func auditID(_ exchange: Exchange) -> String {
        exchange.head.headers.first(name: "audit-id").flatMap { $0.isEmpty ? nil : $0 } ?? exchange.id.auditID
    }

    // MARK: Answering ourselves

    /// Answers with `status` after the request's record is written, and records the refusal.
    func reject(_ exchange: Exchange, _ recorded: EventLoopFuture<Void>, status: Status, reason: String) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        recorded.whenComplete { _ in
            let handler = bound.value
            _ = handler.services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status, reason: reason),
                                                 on: handler.eventLoop)
            handler.writeStatus(status, exchange: exchange)
        }
    }

    func writeStatus(_ status: Status, exchange: Exchange) {
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

    /// Ends the response; `written` runs once it is out (for the `delivery` stage).
    func finishResponse(_ exchange: Exchange, context: ChannelHandlerContext, written: (@Sendable () -> Void)? = nil) {
        let keepAlive = exchange.keepAlive
        let channel = context.channel
        state = keepAlive ? .idle : .closing
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            written?()
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    // MARK: Deciding

    /// Decides an authenticated request by policy: forwards it, denies it, or holds it for review.
    func admit(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity, body: ByteBuffer) {
        let request = AccessRequest(username: identity.username, groups: identity.groups, info: info)
        let started = NIODeadline.now()
        let decision = services.policy.decide(request, at: ProxyClock.now())
        services.stages.record(.policy, since: started)
        switch decision.effect {
        case .allow:
            forward(exchange, info: info, target: target, identity: identity, body: body, decision: decision)
        case .deny:
            reject(exchange, record(exchange, info: info, target: target, identity: identity, body: body, decision: decision),
                   status: ProxyReplies.denied(decision, info), reason: decision.description)
        case .review:
            hold(exchange, info: info, target: target, identity: identity, body: body, decision: decision)
        }
    }

    // MARK: Forwarding

    func forward(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity, body: ByteBuffer,
                 decision: PolicyDecision) {
        var holding = exchange
        holding.holdsResponse = !info.isLongRunning
        let exchange = holding
        state = .preparing(exchange)
        if services.configuration.forwardReadsWhileRecording, Self.isRead(info, head: exchange.head) {
            return forwardWhileRecording(exchange, info: info, target: target, identity: identity, body: body, decision: decision)
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let started = NIODeadline.now()
        record(exchange, info: info, target: target, identity: identity, body: body, decision: decision).whenComplete { result in
            let handler = bound.value
            handler.services.stages.record(.requestRecord, since: started)
            switch result {
            case .failure(let error):
                // The recorder keeps the refusal (and the request) until the store is back.
                handler.refuseUnrecorded(exchange, error)
            case .success:
                handler.connectUpstream(exchange, identity: identity, body: body)
            }
        }
    }

    /// A read that cannot change the cluster: get, list or watch, no upgrade, not a proxy
    /// subresource (which reaches arbitrary endpoints).
    static func isRead(_ info: RequestInfo, head: HTTPRequestHead) -> Bool {
        ["get", "list", "watch"].contains(info.verb) && info.subresource != "proxy" && info.verb != "proxy"
            && !head.headers.contains(name: "upgrade")
    }

    /// Forwards a read at once; its record commits meanwhile (see ``EarlyRecord``).
    func forwardWhileRecording(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity,
                               body: ByteBuffer, decision: PolicyDecision) {
        let recorded = record(exchange, info: info, target: target, identity: identity, body: body, decision: decision)
        earlyRecord = EarlyRecord(request: exchange.id, future: recorded, outcome: nil)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let started = NIODeadline.now()
        recorded.whenComplete { result in
            let handler = bound.value
            handler.services.stages.record(.requestRecord, since: started)
            handler.earlyRecordCompleted(exchange.id, result)
        }
        connectUpstream(exchange, identity: identity, body: body)
    }

    func connectUpstream(_ exchange: Exchange, identity: VerifiedIdentity, body: ByteBuffer, fresh: Bool = false) {
        guard case .preparing(let current) = state, current.id == exchange.id else { return }
        let checkout = NIODeadline.now()
        let cluster = connection.cluster
        let key: UpstreamPoolKey, upstreamHead: HTTPRequestHead
        if let relay = cluster.relay {
            key = UpstreamPoolKey(cluster: cluster.name, destination: relay.endpoint)
            upstreamHead = UpstreamRequestBuilder.relayHead(from: exchange.head,
                                                            source: reportedSource.value(request: exchange.id),
                                                            auditID: auditID(exchange), bodyLength: body.readableBytes)
        } else {
            key = UpstreamPoolKey(cluster: cluster.name, destination: connection.destination)
            upstreamHead = UpstreamRequestBuilder.head(from: exchange.head, tokenHeader: services.configuration.tokenHeader,
                                                       identity: identity, credential: cluster.credential,
                                                       auditID: auditID(exchange), bodyLength: body.readableBytes)
        }
        let isUpgrade = exchange.head.headers.contains(name: "upgrade")
        let pool = services.pools.pool(for: eventLoop)
        if !isUpgrade, !fresh, let idle = pool.take(key) {
            var reusing = exchange
            if ["GET", "HEAD"].contains(exchange.head.method.rawValue) { reusing.retry = UpstreamRetry(identity: identity, body: body) }
            return send(reusing, upstreamHead, body, over: idle, checkout: checkout)
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        UpstreamConnector.connect(key, cluster: cluster, services: services, on: eventLoop).whenComplete { result in
            let handler = bound.value
            switch result {
            case .success(let upstream):
                upstream.leavesOnClose(pool)
                handler.send(exchange, upstreamHead, body, over: upstream, checkout: checkout)
            case .failure(let error):
                let status: Status, reason: String
                if let relay = cluster.relay {
                    (status, reason) = (ProxyReplies.relayUnreachable(relay, error), "relay unreachable: \(relay.address): \(error)")
                } else {
                    (status, reason) = (ProxyReplies.upstreamUnreachable(handler.connection.destination.description, error),
                                        "upstream unreachable: \(error)")
                }
                _ = handler.services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                                      reason: reason), on: handler.eventLoop)
                handler.writeStatus(status, exchange: exchange)
            }
        }
    }

    func send(_ exchange: Exchange, _ head: HTTPRequestHead, _ body: ByteBuffer, over upstream: UpstreamConnection,
              checkout: NIODeadline) {
        guard case .preparing(let current) = state, current.id == exchange.id, context != nil else {
            upstream.close()
            return
        }
        services.stages.record(.upstreamCheckout, since: checkout)
        var sending = exchange
        sending.sentAt = NIODeadline.now()
        state = .forwarding(sending, upstream)
        upstream.send(head: head, body: body, delegate: self)
    }

    // MARK: Closing

    func channelInactive(context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state { upstream.close() }
        if case .upgrading(_, let upstream) = state { upstream.close() }
        if case .reviewing(let exchange, let wait) = state { withdraw(exchange, wait) }
        state = .closed
        if !tlsEstablished {
            let reason = handshakeFailure ?? "the client closed the connection before the TLS handshake completed"
            _ = services.recorder.record(.connectionEnded(connection.id, time: ProxyClock.now(), reason: reason), on: context.eventLoop)
        } else {
            _ = services.recorder.record(.connectionClosed(connection.id, time: ProxyClock.now()), on: context.eventLoop)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        services.logger.debug("connection error", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
        if !tlsEstablished, handshakeFailure == nil { handshakeFailure = "TLS handshake failed: \(error)" }
        switch state {
        case .refusing, .closing:
            // The answer being written closes the connection once it is out; a broken connection closes itself.
            break
        default:
            close(context)
        }
    }

    func close(_ context: ChannelHandlerContext) {
        if case .forwarding(_, let upstream) = state { upstream.close() }
        if case .upgrading(_, let upstream) = state { upstream.close() }
        if case .reviewing(let exchange, let wait) = state { withdraw(exchange, wait) }
        state = .closed
        context.close(promise: nil)
    }
}
