import NIOCore

/// Passes an upstream connection's `channelInactive` on one event-loop tick late.
///
/// When an upgrade's 101 arrives, the HTTP decoder is removed, and ByteToMessageHandler defers that
/// removal to the next tick: only then does it hand what it read past the 101 to the byte relay.
/// If it sees the connection end first, it drops those bytes. A server that sends its 101, a short
/// exec's output and its close in one go (TLS close_notify, FIN) ends the connection within the
/// same read, so the output was lost (kubectl: close 1006). Sits before the HTTP handlers, so the
/// decoder sees the end only after its leftovers went to the relay (tasks run in order).
final class DeferredInactive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelInactive(context: ChannelHandlerContext) {
        context.eventLoop.assumeIsolated().execute {
            context.fireChannelInactive()
        }
    }
}
