import NIOCore
import NIOHTTP1

/// Keeps a connection's clients to time, between the HTTP codec and the request handler:
/// - the head of the first request must be complete ``ClientLimits/requestHeaderTimeout`` after the
///   connection was accepted (the TLS handshake counts), that of a later one that long after its first
///   byte (Go's `ReadHeaderTimeout`);
/// - a kept-alive connection that sends nothing for ``ClientLimits/idleTimeout`` is closed (Go's
///   `IdleTimeout`);
/// - once ``ClientLimits/requestBodyGracePeriod`` has passed, a body must keep an average of
///   ``ClientLimits/minRequestBodyRate`` bytes per second (Kestrel's `MinRequestBodyDataRate`).
///
/// A late head, a slow body or a decoder error is reported as a ``ClientFault`` user event to the
/// next handler, which answers and records it; an idle connection is closed here. While a request is being served
/// (a review, a watch, an exec), no timer runs: those may last as long as they need. After a 101 or
/// an answer given before the request ended, the handler goes quiet.
///
/// Times are the event loop's clock (`EventLoop.now`), so tests can move it.
///
/// Invariant: at most one timer is scheduled, it runs on the connection's event loop, and it is
/// cancelled when the handler leaves the pipeline.
final class RequestTimeouts: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum Phase: Equatable {
        /// Waiting for a head since `since` (the accept, or the end of the previous response).
        case awaitingHead(since: NIODeadline, first: Bool)
        case receivingBody(since: NIODeadline, bytes: Int)
        /// The request is complete; its response has not ended.
        case serving
        case off
    }

    private let limits: ClientLimits
    private let progress: RequestHeadProgress
    private(set) var phase = Phase.off
    private var timer: Scheduled<Void>?

    init(limits: ClientLimits, progress: RequestHeadProgress) {
        self.limits = limits
        self.progress = progress
    }

    func handlerAdded(context: ChannelHandlerContext) {
        progress.expectRequest()
        phase = .awaitingHead(since: context.eventLoop.now, first: true)
        schedule(at: context.eventLoop.now + TimeAmount(limits.requestHeaderTimeout), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            progress.headReceived()
            phase = .receivingBody(since: context.eventLoop.now, bytes: 0)
            schedule(at: context.eventLoop.now + TimeAmount(limits.requestBodyGracePeriod), context: context)
        case .body(let buffer):
            if case .receivingBody(let since, let bytes) = phase {
                phase = .receivingBody(since: since, bytes: bytes + buffer.readableBytes)
            }
        case .end:
            if case .receivingBody = phase {
                phase = .serving
                cancelTimer()
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .switchingProtocols:
            stop()
        case .end where phase == .serving:
            progress.expectRequest()
            phase = .awaitingHead(since: context.eventLoop.now, first: false)
            schedule(at: context.eventLoop.now + TimeAmount(min(limits.requestHeaderTimeout, limits.idleTimeout)), context: context)
        case .end:
            // Answered before the request ended: the connection closes after this answer.
            stop()
        default:
            break
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    /// A decoder error becomes a ``ClientFault`` event (with the header names that arrived, to name
    /// a framing conflict); what the decoder reports after it, having stopped, is dropped.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case let error as HTTPParserError:
            stop()
            context.fireUserInboundEventTriggered(ClientFault(error, headerNames: progress.headerNames, limits: limits))
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            break
        default:
            context.fireErrorCaught(error)
        }
    }

    // MARK: The timer

    private func check(context: ChannelHandlerContext) {
        timer = nil
        let now = context.eventLoop.now
        switch phase {
        case .awaitingHead(let since, let first):
            if let start = first ? since : progress.firstByteAt {
                let deadline = start + TimeAmount(limits.requestHeaderTimeout)
                guard now >= deadline else { return schedule(at: deadline, context: context) }
                stop()
                context.fireUserInboundEventTriggered(ClientFault.headTimeout(limits.requestHeaderTimeout,
                                                                              bytesSeen: progress.firstByteAt != nil))
            } else {
                let deadline = since + TimeAmount(limits.idleTimeout)
                guard now >= deadline else {
                    return schedule(at: min(deadline, now + TimeAmount(limits.requestHeaderTimeout)), context: context)
                }
                stop()
                context.close(promise: nil)
            }
        case .receivingBody(let since, let bytes):
            let elapsed = now - since
            let rate = Double(limits.minRequestBodyRate)
            if rate > 0, elapsed >= TimeAmount(limits.requestBodyGracePeriod),
               Double(bytes) < rate * Double(elapsed.nanoseconds) / 1e9 {
                stop()
                context.fireUserInboundEventTriggered(ClientFault.bodyTooSlow(
                    bytes: bytes, elapsed: .nanoseconds(elapsed.nanoseconds), minimumRate: limits.minRequestBodyRate))
            } else {
                schedule(at: now + .seconds(1), context: context)
            }
        case .serving, .off:
            break
        }
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        cancelTimer()
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            check(context: context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func stop() {
        phase = .off
        cancelTimer()
    }
}
