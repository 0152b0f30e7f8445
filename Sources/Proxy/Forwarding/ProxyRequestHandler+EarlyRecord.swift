import NIOCore

/// One-commit reads: a read is forwarded while its record commits (``EarlyRecord``). Whatever of
/// its response arrives first waits, held, until that record is committed; if it fails, the client
/// gets a 503 and none of the response. An ordinary response is delivered once both records are
/// committed (``upstreamResponseEnd()`` waits for both futures).
extension ProxyRequestHandler {
    /// The early record of request `id` committed or failed.
    func earlyRecordCompleted(_ id: RequestID, _ result: Result<Void, any Error>) {
        guard var early = earlyRecord, early.request == id else { return }
        early.outcome = result
        earlyRecord = early
        guard let context else { return }
        switch (state, result) {
        case (.forwarding(var exchange, let upstream), .success) where exchange.id == id && exchange.heldForRequestRecord:
            // A long-running or large response waited only for this: it flows from now on.
            if let held = exchange.held { releaseHeld(held, context: context) }
            exchange.held = nil
            exchange.heldForRequestRecord = false
            state = .forwarding(exchange, upstream)
            upstream.channel.setOption(.autoRead, value: true).whenFailure { _ in }
        case (.forwarding(let exchange, let upstream), .failure(let error)) where exchange.id == id:
            upstream.close()
            state = .preparing(exchange)
            refuseUnrecorded(exchange, error)
        case (.preparing(let exchange), .failure(let error)) where exchange.id == id:
            state = .preparing(exchange)
            refuseUnrecorded(exchange, error)
        default:
            // Committing: the delivery waits for both records. Anything else is over already.
            break
        }
    }

    /// Whether the response of `exchange` may reach the client now: always, unless it is a read
    /// forwarded early whose record is pending (nil) or failed (false).
    func mayDeliver(_ exchange: Exchange) -> Bool? {
        guard let early = earlyRecord, early.request == exchange.id else { return true }
        return early.allowsDelivery
    }

    /// The future the delivery of `exchange`'s response waits for: its response's record, and its
    /// request's when that was forwarded early.
    func deliveryFuture(_ exchange: Exchange, response: EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        guard let early = earlyRecord, early.request == exchange.id, early.allowsDelivery != true else { return response }
        return early.future.and(response).map { _ in () }
    }

    /// Writes a held response's head and body so far; flushes them unless the caller flushes next
    /// (a whole response goes out with its end in one flush: one write to the socket, not two).
    func releaseHeld(_ held: HeldResponse, context: ChannelHandlerContext, flush: Bool = true) {
        context.write(wrapOutboundOut(.head(held.head)), promise: nil)
        for part in held.parts { context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil) }
        if flush { context.flush() }
    }
}
