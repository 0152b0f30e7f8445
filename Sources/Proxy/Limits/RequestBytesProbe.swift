import NIOCore

/// Sits between TLS and the HTTP decoder and notes, in ``RequestHeadProgress``, the bytes of each
/// request head as they arrive. Passes everything on unchanged.
final class RequestBytesProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let progress: RequestHeadProgress

    init(progress: RequestHeadProgress) {
        self.progress = progress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        progress.received(unwrapInboundIn(data), at: context.eventLoop.now)
        context.fireChannelRead(data)
    }
}
