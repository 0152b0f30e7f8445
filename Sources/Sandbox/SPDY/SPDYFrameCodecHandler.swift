import Kube
import NIOCore

/// The NIO adapter of the Kube module's SPDY/3.1 codec: bytes in, ``SPDYFrame``s out, and back.
///
/// Invariants: one decoder and one encoder per connection, used only on the event loop, so both
/// header-compression contexts see every frame in order. After a decoding error the handler fires
/// the error once and drops whatever else arrives.
final class SPDYFrameCodecHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SPDYFrame
    typealias OutboundIn = SPDYFrame
    typealias OutboundOut = ByteBuffer

    private let decoder: SPDYFrameDecoder
    private let encoder = SPDYFrameEncoder()
    private var failed = false

    init(limits: SPDYFrameDecoder.Limits = .init(maxFrameLength: 1 << 20)) {
        decoder = SPDYFrameDecoder(limits: limits)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        decoder.append(unwrapInboundIn(data).readableBytesView)
        do {
            while let frame = try decoder.nextFrame() {
                context.fireChannelRead(wrapInboundOut(frame))
            }
        } catch {
            failed = true
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        do {
            let bytes = try encoder.encode(unwrapOutboundIn(data))
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }
}
