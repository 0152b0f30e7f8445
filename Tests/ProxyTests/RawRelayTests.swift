import Intercept
import Kube
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Proxy

/// The byte relay an upgrade switches to (``RawRelay``), on two EmbeddedChannels sharing one loop:
/// what the upstream sent in the same segment as its 101 reaches the client, and is recorded, even
/// when nothing follows it and the upstream closes at once (a short `kubectl exec` over WebSocket).
@Suite struct RawRelayTests {
    /// Joins the relay when the upstream's 101 ends, as ``ProxyRequestHandler`` does.
    final class JoinOnUpgrade: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let client: EmbeddedChannel
        let services: ProxyServices

        init(client: EmbeddedChannel, services: ProxyServices) {
            self.client = client
            self.services = services
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            try? RawRelay.join(client: client, upstream: context.channel, request: RequestID(3),
                               connection: ConnectionID(7), services: services)
        }
    }

    struct Rig {
        let loop = EmbeddedEventLoop()
        let client: EmbeddedChannel
        let upstream: EmbeddedChannel
        let recorder = InMemoryProxyRecorder()

        init() throws {
            let endpoint = SocketEndpoint(.v4(198, 18, 0, 2), port: 6443)
            let cluster = ClusterUpstream(name: "sandbox", endpoints: [endpoint], serverNames: [], trustRoots: [],
                                          credential: .bearerToken("unused"))
            let configuration = ProxyConfiguration(port: 15443, listenAddresses: [.v4(127, 0, 0, 1)], clusters: [cluster])
            let services = try ProxyServices(configuration: configuration, authenticator: ProxyForwardingTests.FakeAuthenticator(),
                                             servingContexts: ProxyForwardingTests.NoTLS(), recorder: recorder,
                                             policy: AccessPolicy(Policy(defaultEffect: .allow)), attribution: nil,
                                             logger: .init(label: "test"))
            client = EmbeddedChannel(loop: loop)
            upstream = EmbeddedChannel(loop: loop)
            try client.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
            try upstream.connect(to: try SocketAddress(ipAddress: "198.18.0.2", port: 6443)).wait()
            let sync = upstream.pipeline.syncOperations
            try sync.addHandler(DeferredInactive())   // as UpstreamConnector has it
            try sync.addHandler(HTTPRequestEncoder(), name: ProxyHandlerNames.encoder)
            try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                                name: ProxyHandlerNames.decoder)
            try sync.addHandler(JoinOnUpgrade(client: client, services: services), name: ProxyHandlerNames.proxy)
            // The exec request the 101 answers.
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/v1/namespaces/demo/pods/web/exec?command=sh")
            head.headers.add(name: "Upgrade", value: "websocket")
            head.headers.add(name: "Connection", value: "Upgrade")
            try upstream.writeOutbound(HTTPClientRequestPart.head(head))
            try upstream.writeOutbound(HTTPClientRequestPart.end(nil))
            while try upstream.readOutbound(as: ByteBuffer.self) != nil {}
        }

        /// Everything the client has been sent (flushed) so far.
        func sentToClient() throws -> [UInt8] {
            var bytes: [UInt8] = []
            while let buffer = try client.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
            return bytes
        }

        var recordedFromUpstream: [UInt8] {
            recorder.events.flatMap { event -> [UInt8] in
                if case .streamData(_, _, .upstreamToClient, let bytes) = event { bytes } else { [] }
            }
        }
    }

    static let switching = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".utf8)
    /// A binary WebSocket frame (channel 1, "hi\n") and a close frame, as a server sends them.
    static let frames: [UInt8] = [0x82, 0x04, 0x01, 0x68, 0x69, 0x0a, 0x88, 0x02, 0x03, 0xe8]

    @Test("bytes in the same segment as the 101 reach the client and the record")
    func bytesBehindTheUpgrade() throws {
        let rig = try Rig()
        try rig.upstream.writeInbound(rig.upstream.allocator.buffer(bytes: Self.switching + Self.frames))
        rig.loop.run()
        #expect(try rig.sentToClient() == Self.frames)
        #expect(rig.recordedFromUpstream == Self.frames)
    }

    @Test("bytes behind the 101 reach the client before the upstream's close closes it")
    func bytesBehindTheUpgradeThenClose() throws {
        let rig = try Rig()
        try rig.upstream.writeInbound(rig.upstream.allocator.buffer(bytes: Self.switching + Self.frames))
        rig.loop.run()
        rig.upstream.pipeline.fireChannelInactive()
        rig.loop.run()
        #expect(try rig.sentToClient() == Self.frames)
    }

    /// The sandbox sends its 101, the output, its close frame, TLS close_notify and FIN at once: the
    /// connection ends within the read that brought the 101, before the decoder's leftovers are out.
    @Test("bytes behind the 101 reach the client when the upstream ends in the same read")
    func upstreamEndsInTheSameRead() throws {
        let rig = try Rig()
        try rig.upstream.writeInbound(rig.upstream.allocator.buffer(bytes: Self.switching + Self.frames))
        rig.upstream.pipeline.fireChannelInactive()
        rig.loop.run()
        #expect(try rig.sentToClient() == Self.frames)
        #expect(rig.recordedFromUpstream == Self.frames)
    }

    @Test("bytes that arrive later are relayed and flushed as they come")
    func laterBytes() throws {
        let rig = try Rig()
        try rig.upstream.writeInbound(rig.upstream.allocator.buffer(bytes: Self.switching))
        rig.loop.run()
        #expect(try rig.sentToClient().isEmpty)
        try rig.upstream.writeInbound(rig.upstream.allocator.buffer(bytes: Self.frames))
        rig.upstream.pipeline.fireChannelReadComplete()
        #expect(try rig.sentToClient() == Self.frames)
    }
}
