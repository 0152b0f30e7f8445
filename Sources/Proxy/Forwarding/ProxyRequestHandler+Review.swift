import Kube
import NIOCore

/// Holding for review: a request a `review` rule decides is recorded, then waits in the
/// ``ReviewQueue`` until a reviewer approves it (it is forwarded once the approval is recorded),
/// denies it, or its time runs out (both answered 403). Over the cap it is denied at once.
extension ProxyRequestHandler {
    func hold(_ exchange: Exchange, info: RequestInfo, target: RequestTarget, identity: VerifiedIdentity, body: ByteBuffer,
              decision: PolicyDecision) {
        let settings = services.policy.policy.review
        guard let id = services.reviews.reserve(limit: settings.maxHeld) else {
            let full = PolicyDecision(effect: .deny, source: .reviewCapacity(rule: decision.recordedSource),
                                      reason: "\(settings.maxHeld) requests already wait for review; try again later")
            return reject(exchange, record(exchange, info: info, target: target, identity: identity, body: body, decision: full),
                          status: ProxyReplies.reviewFull(full, info), reason: full.description)
        }
        var holding = exchange
        holding.holdsResponse = !info.isLongRunning
        let exchange = holding
        state = .preparing(exchange)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let rule = decision.recordedSource
        record(exchange, info: info, target: target, identity: identity, body: body, decision: decision).whenComplete { result in
            let handler = bound.value
            switch result {
            case .failure(let error):
                handler.services.reviews.release(id)
                handler.refuseUnrecorded(exchange, error)
            case .success:
                guard case .preparing = handler.state else { return handler.services.reviews.release(id) }
                let wait = ReviewWait(id: id, info: info, identity: identity, body: body, rule: rule, timeout: settings.timeout,
                                      timer: handler.startTimer(id, after: settings.timeout))
                handler.state = .reviewing(exchange, wait)
                handler.publish(exchange, wait, target: target, reason: decision.reason)
            }
        }
    }

    private func startTimer(_ id: UInt64, after timeout: Duration) -> Scheduled<Void> {
        let reviews = services.reviews
        return eventLoop.scheduleTask(in: TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
                                                                  + timeout.components.attoseconds / 1_000_000_000)) {
            reviews.decide(id, .timedOut)
        }
    }

    private func publish(_ exchange: Exchange, _ wait: ReviewWait, target: RequestTarget, reason: String?) {
        let now = ProxyClock.now()
        let bytes = Array(wait.body.readableBytesView.prefix(services.configuration.recordedBodyLimit))
        let objectName = KubeBody.json(bytes)?[path: "metadata", "name"]?.stringValue
        let held = HeldRequest(
            id: wait.id, request: exchange.id, connection: connection.id, username: wait.identity.username,
            groups: wait.identity.groups, intent: Intent.describe(wait.info, query: target.query, objectName: objectName),
            bodySummary: BodySummary.describe(bytes, contentType: exchange.head.headers.first(name: "content-type")),
            rule: wait.rule, reason: reason, heldAt: now,
            deadline: KubeTime(microseconds: now.microseconds + wait.timeout.components.seconds * 1_000_000))
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let loop = eventLoop
        services.reviews.publish(held) { verdict in
            loop.execute { bound.value.reviewed(verdict, id: wait.id) }
        }
    }

    /// A verdict for the request this connection holds.
    func reviewed(_ verdict: ReviewVerdict, id: UInt64) {
        guard case .reviewing(let exchange, let wait) = state, wait.id == id else { return }
        wait.timer.cancel()
        let recorded = services.recorder.record(.reviewDecided(exchange.id, time: ProxyClock.now(), verdict: verdict), on: eventLoop)
        switch verdict {
        case .approved:
            state = .preparing(exchange)
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            recorded.whenComplete { result in
                let handler = bound.value
                switch result {
                case .success: handler.connectUpstream(exchange, identity: wait.identity, body: wait.body)
                case .failure(let error): handler.refuseUnrecorded(exchange, error)
                }
            }
        case .denied, .timedOut:
            state = .preparing(exchange)
            let status = ProxyReplies.reviewDenied(verdict, rule: wait.rule, timeout: wait.timeout, wait.info)
            reject(exchange, recorded, status: status, reason: status.message ?? "denied after review")
        case .withdrawn:
            break
        }
    }

    /// The client left while its request waited: nothing is forwarded, and the record says so.
    func withdraw(_ exchange: Exchange, _ wait: ReviewWait) {
        wait.timer.cancel()
        services.reviews.decide(wait.id, .withdrawn)
        _ = services.recorder.record(.reviewDecided(exchange.id, time: ProxyClock.now(), verdict: .withdrawn), on: eventLoop)
    }

    /// 503: the request (or its approval) could not be recorded, so it is not forwarded.
    func refuseUnrecorded(_ exchange: Exchange, _ error: any Error) {
        let status = ProxyReplies.unrecorded(error)
        _ = services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                      reason: "the request could not be recorded: \(error)"), on: eventLoop)
        writeStatus(status, exchange: exchange)
    }
}
