import Intercept
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Proxy

/// ``RequestTimeouts`` on its own, on an EmbeddedChannel whose clock the tests move: the waits
/// between requests of a kept-alive connection, and no timer while a request is served. Also the
/// small pieces of the caller cap and the head excerpt.
@Suite struct RequestTimeoutsTests {
    /// Collects what ``RequestTimeouts`` passes on.
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        var faults: [ClientFault] = []

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let fault = event as? ClientFault { faults.append(fault) }
        }
    }

    struct Rig {
        let channel = EmbeddedChannel()
        let progress = RequestHeadProgress()
        let collector = Collector()

        init(limits: ClientLimits) throws {
            try channel.connect(to: try SocketAddress(ipAddress: "198.18.0.2", port: 6443)).wait()
            try channel.pipeline.syncOperations.addHandler(RequestTimeouts(limits: limits, progress: progress))
            try channel.pipeline.syncOperations.addHandler(collector)
        }

        func advance(_ seconds: Int64) { channel.embeddedEventLoop.advanceTime(by: .seconds(seconds)) }

        /// A whole request, then its whole response: the connection waits for the next request.
        func exchange() throws {
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/version")))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
            try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }
    }

    static let limits = ClientLimits(requestHeaderTimeout: .seconds(5), idleTimeout: .seconds(20))

    @Test("a kept-alive connection with no next request is closed after idleTimeout, without a fault")
    func idleConnectionCloses() throws {
        let rig = try Rig(limits: Self.limits)
        try rig.exchange()
        rig.advance(19)
        #expect(rig.channel.isActive)
        rig.advance(1)
        #expect(!rig.channel.isActive)
        #expect(rig.collector.faults.isEmpty)
    }

    @Test("a later request's head has requestHeaderTimeout from its first byte, not from the end of the last response")
    func laterHeadTimesFromItsFirstByte() throws {
        let rig = try Rig(limits: Self.limits)
        try rig.exchange()
        rig.advance(12)
        // What ``RequestBytesProbe`` notes when the first bytes of the next head arrive.
        rig.progress.received(ByteBuffer(string: "GET /ve"), at: rig.channel.eventLoop.now)
        rig.advance(4)
        #expect(rig.collector.faults.isEmpty)
        rig.advance(1)
        #expect(rig.collector.faults == [.headTimeout(.seconds(5), bytesSeen: true)])
    }

    @Test("no timer runs while a request is served, however long")
    func servingHasNoTimer() throws {
        let rig = try Rig(limits: Self.limits)
        try rig.channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api?watch=1")))
        try rig.channel.writeInbound(HTTPServerRequestPart.end(nil))
        rig.advance(3600)
        #expect(rig.channel.isActive)
        #expect(rig.collector.faults.isEmpty)
    }

    @Test("after a 101 the timeouts stop")
    func upgradeStopsTimers() throws {
        let rig = try Rig(limits: Self.limits)
        try rig.channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/exec")))
        try rig.channel.writeInbound(HTTPServerRequestPart.end(nil))
        try rig.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .switchingProtocols)))
        try rig.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        rig.advance(3600)
        #expect(rig.channel.isActive)
        #expect(rig.collector.faults.isEmpty)
    }

    @Test("a decoder error becomes a fault; a head overflow is the header limit")
    func decoderErrors() throws {
        let rig = try Rig(limits: ClientLimits(maxHeaderBytes: 2048))
        rig.channel.pipeline.fireErrorCaught(HTTPParserError.headerOverflow)
        rig.channel.pipeline.fireErrorCaught(ByteToMessageDecoderError.dataReceivedInErrorState(HTTPParserError.headerOverflow,
                                                                                                 ByteBuffer()))
        #expect(rig.collector.faults == [.headerTooLarge(limit: 2048)])
    }

    @Test("callers are counted by uid when local, by source address when bridged or unknown")
    func callerKeys() {
        let peer = IPAddress.v4(127, 0, 0, 1)
        #expect(CallerKey(Caller(uid: 1000, sourceAddress: peer), peer: peer) == .uid(1000))
        #expect(CallerKey(Caller(sourceAddress: .v4(172, 17, 0, 2), interface: "docker0"), peer: .v4(172, 17, 0, 2))
                == .source(.v4(172, 17, 0, 2)))
        #expect(CallerKey(Caller(uid: 1000, sourceAddress: .v4(172, 17, 0, 2), interface: "docker0"), peer: peer)
                == .source(.v4(172, 17, 0, 2)))
        #expect(CallerKey(Caller(), peer: peer) == .source(peer))
        #expect(CallerKey(Caller(uid: 7), peer: peer).description == "uid 7")

        let counter = CallerConnectionCounter()
        #expect(counter.open(.uid(1)) == 1)
        #expect(counter.open(.uid(1)) == 2)
        #expect(counter.open(.uid(2)) == 1)
        counter.close(.uid(1))
        #expect(counter.count(.uid(1)) == 1)
        counter.close(.uid(1))
        #expect(counter.count(.uid(1)) == 0)
    }

    @Test("the head excerpt gives the request line when it looks like HTTP, cut at 256 characters")
    func requestLine() {
        func line(_ text: String) -> String? {
            let progress = RequestHeadProgress()
            progress.received(ByteBuffer(string: text), at: .now())
            return progress.requestLine.map { "\($0.method) \($0.target)" }
        }
        #expect(line("GET /api/v1/pods?watch=1 HTTP/1.1\r\nHost: x\r\n") == "GET /api/v1/pods?watch=1")
        #expect(line("DELETE /api/v1/namespaces/x") == "DELETE /api/v1/namespaces/x")
        #expect(line("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1") == "GET /" + String(repeating: "a", count: 255) + "…")
        #expect(line("get / HTTP/1.1") == nil)
        #expect(line("\u{16}\u{3}\u{1}binary") == nil)
        #expect(line("GET") == nil)
    }
}
