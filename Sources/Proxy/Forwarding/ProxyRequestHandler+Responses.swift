import Kube
import NIOCore
import NIOHTTP1

/// The response side of ``ProxyRequestHandler``: relays the upstream's response as it arrives,
/// holds ordinary responses until their record is committed (``HeldResponse``), and turns an
/// upgraded connection into a recorded byte relay.
extension ProxyRequestHandler: UpstreamResponseDelegate {
    func upstreamResponseHead(_ head: HTTPResponseHead) {
        guard case .forwarding(var exchange, let upstream) = state, let context else { return }
        if let sent = exchange.sentAt { services.stages.record(.upstreamFirstByte, since: sent) }
        exchange.responseStarted = true
        exchange.upstreamCloses = !head.isKeepAlive
        exchange.retry = nil
        state = .forwarding(exchange, upstream)
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
        } else if mayDeliver(exchange) != true {
            // A read forwarded early: nothing reaches the client before its record is committed.
            var held = exchange
            held.held = HeldResponse(head: outgoing)
            held.heldForRequestRecord = true
            state = .forwarding(held, upstream)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.head(outgoing)), promise: nil)
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard case .forwarding(var exchange, let upstream) = state, let context else { return }
        exchange.responseBytes += buffer.readableBytes
        // A watch or a followed log is recorded whole, event by event (the recorder bounds its
        // memory); an ordinary body up to the recorded limit.
        let room = exchange.holdsResponse ? max(0, services.configuration.recordedBodyLimit - exchange.recordedBytes)
                                          : buffer.readableBytes
        if room > 0 {
            let bytes = Array(buffer.readableBytesView.prefix(room))
            exchange.recordedBytes += bytes.count
            _ = services.recorder.record(.responseBody(exchange.id, bytes: bytes), on: context.eventLoop)
        }
        if var held = exchange.held {
            held.append(buffer)
            let overLimit = held.bytes > services.configuration.maxHeldResponseBytes
            if !overLimit || exchange.heldForRequestRecord || mayDeliver(exchange) != true {
                exchange.held = held
                if overLimit {
                    // Too large to hold whole, but the request's record is not committed yet: it is
                    // released when it is, and the upstream waits meanwhile.
                    exchange.heldForRequestRecord = true
                    upstream.channel.setOption(.autoRead, value: false).whenFailure { _ in }
                }
                state = .forwarding(exchange, upstream)
                return
            }
            exchange.held = nil
            state = .forwarding(exchange, upstream)
            releaseHeld(held, context: context)
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
        guard case .forwarding(var exchange, let upstream) = state, let context else { return }
        let ended = NIODeadline.now()
        if let sent = exchange.sentAt { services.stages.record(.upstreamLastByte, since: sent) }
        exchange.endedAt = ended
        let recorded = deliveryFuture(exchange, response: services.recorder.record(
            .responseCompleted(exchange.id, time: ProxyClock.now(), bytes: exchange.responseBytes), on: context.eventLoop))
        upstream.finishedRequest()
        if exchange.upstreamCloses {
            upstream.close()
        } else {
            services.pools.pool(for: context.eventLoop).give(upstream)
        }
        guard exchange.held != nil else { return finishResponse(exchange, context: context) }
        state = .committing(exchange)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let committing = exchange
        recorded.whenComplete { result in
            bound.value.deliver(committing, recorded: result)
        }
    }

    /// Delivers a held response once its record is committed; withholds it (503) when recording failed.
    private func deliver(_ exchange: Exchange, recorded: Result<Void, any Error>) {
        guard case .committing = state, let context, let held = exchange.held else { return }
        if let ended = exchange.endedAt { services.stages.record(.responseRecord, since: ended) }
        switch recorded {
        case .success:
            let started = NIODeadline.now()
            releaseHeld(held, context: context, flush: false)
            finishResponse(exchange, context: context) { [stages = services.stages] in stages.record(.delivery, since: started) }
        case .failure(let error):
            let status = ProxyReplies.responseUnrecorded(error)
            _ = services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                          reason: "the response could not be recorded: \(error)"), on: eventLoop)
            writeStatus(status, exchange: exchange)
        }
    }

    func upstreamFailed(_ error: any Error) {
        guard let context else { return }
        switch state {
        case .forwarding(var exchange, _) where !exchange.responseStarted && exchange.retry != nil:
            // A pooled connection that was closed while idle: once more, on a fresh one.
            guard let retry = exchange.retry else { return }
            exchange.retry = nil
            exchange.sentAt = nil
            state = .preparing(exchange)
            services.logger.debug("a pooled upstream connection was closed; sending the request again on a new one",
                                  metadata: ["request": "\(exchange.id)", "error": "\(error)"])
            connectUpstream(exchange, identity: retry.identity, body: retry.body, fresh: true)
        case .forwarding(let exchange, _) where exchange.responseBytes == 0 || exchange.held != nil:
            let status: Status, reason: String
            if let relay = connection.cluster.relay {
                (status, reason) = (ProxyReplies.relayFailed(relay, error), "relay failed: \(relay.address): \(error)")
            } else {
                (status, reason) = (ProxyReplies.upstreamFailed(connection.destination.description, error), "upstream failed: \(error)")
            }
            _ = services.recorder.record(.requestRejected(exchange.id, time: ProxyClock.now(), status: status,
                                                          reason: reason), on: context.eventLoop)
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
}
