import Kube
import NIOCore
import NIOHTTP1

/// Joins an upgraded client connection and its upstream connection into a byte relay: every byte
/// read on one side is written to the other and handed to the recorder, with back-pressure in
/// both directions. Bytes are not held for their record; when one cannot be recorded, the relay
/// ends. Both channels are on the same event loop; call on it.
enum RawRelay {
    static func join(client: any Channel, upstream: any Channel, request: RequestID, connection: ConnectionID,
                     services: ProxyServices) throws {
        let toUpstream = RawRelayHandler(direction: .clientToUpstream, request: request, connection: connection, services: services)
        let toClient = RawRelayHandler(direction: .upstreamToClient, request: request, connection: nil, services: services)
        toUpstream.partner = toClient
        toClient.partner = toUpstream
        try replaceHTTP(in: client, with: toUpstream)
        try replaceHTTP(in: upstream, with: toClient)
        // Back-pressure is the relay's job from here on (see `read(context:)`).
        for channel in [client, upstream] {
            try channel.syncOptions?.setOption(.autoRead, value: true)
        }
        // The HTTP decoders hand what they read past the upgrade (a WebSocket server's first frames
        // often share a segment with its 101) to the relays on the next tick, outside any read burst,
        // so no channelReadComplete flushes it: flush after them (tasks run in order).
        client.eventLoop.assumeIsolated().execute {
            toClient.flushForwarded()
            toUpstream.flushForwarded()
        }
    }

    /// Adds the relay last, then takes the HTTP handlers out (an upstream connection has no probe or
    /// timeouts; removing a name it lacks does nothing); the decoder goes last but for the probe
    /// before it, so whatever it had read past the upgrade is forwarded to the relay.
    private static func replaceHTTP(in channel: any Channel, with relay: RawRelayHandler) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(relay)
        for name in [ProxyHandlerNames.proxy, ProxyHandlerNames.timeouts, ProxyHandlerNames.encoder, ProxyHandlerNames.decoder,
                     ProxyHandlerNames.probe] {
            pipeline.removeHandler(name: name, promise: nil)
        }
    }
}

/// One side of a ``RawRelay``.
final class RawRelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let direction: StreamDirection
    private let request: RequestID
    /// Set on the client side: its close ends the recorded connection.
    private let connection: ConnectionID?
    private let services: ProxyServices
    weak var partner: RawRelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Bytes written to the partner since its last flush.
    private var unflushed = false

    init(direction: StreamDirection, request: RequestID, connection: ConnectionID?, services: ProxyServices) {
        self.direction = direction
        self.request = request
        self.connection = connection
        self.services = services
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let recorded = services.recorder.record(.streamData(request, time: ProxyClock.now(), direction: direction,
                                                            bytes: Array(buffer.readableBytesView)), on: context.eventLoop)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        recorded.whenFailure { error in bound.value.endUnrecorded(error) }
        partner?.write(buffer)
        unflushed = true
    }

    /// Flushes what was forwarded to the partner outside a read burst (an HTTP decoder's leftovers).
    func flushForwarded() {
        guard unflushed else { return }
        unflushed = false
        partner?.flush()
    }

    /// A stream whose bytes cannot be recorded does not go on: both sides are closed.
    private func endUnrecorded(_ error: any Error) {
        guard context != nil else { return }
        services.logger.error("a stream's bytes could not be recorded; ending the stream",
                              metadata: ["request": "\(request)", "error": "\(error)"])
        partner?.close()
        close()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        unflushed = false
        partner?.flush()
    }

    /// Whatever this side forwarded reaches the partner before the partner closes.
    func channelInactive(context: ChannelHandlerContext) {
        if let connection {
            _ = services.recorder.record(.connectionClosed(connection, time: ProxyClock.now()), on: context.eventLoop)
        }
        flushForwarded()
        partner?.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        partner?.peerWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    // MARK: Called by the partner, on the same event loop

    private func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func flush() {
        context?.flush()
    }

    private func close() {
        context?.close(promise: nil)
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func peerWritabilityChanged(_ writable: Bool) {
        if writable, pendingRead {
            pendingRead = false
            context?.read()
        }
    }
}
