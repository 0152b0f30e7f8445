import NIOCore
import NIOPosix
@testable import Proxy
import Synchronization
import Testing

/// The minimal discovery client against a loopback server that answers with exact bytes:
/// Content-Length and chunked bodies, statuses, size limits, a server that never answers, and a body
/// cut short.
@Suite(.timeLimit(.minutes(2))) struct OIDCDiscoveryHTTPClientTests {
    /// Answers every connection's first bytes with `response`, then closes (or stays silent when nil).
    final class CannedResponder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let response: [UInt8]?
        let requests = Mutex<[String]>([])

        init(_ response: [UInt8]?) {
            self.response = response
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            requests.withLock { $0.append(text) }
            guard let response, text.contains("\r\n\r\n") else { return }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: response))).whenComplete { _ in
                bound.value.close(promise: nil)
            }
        }
    }

    static func withServer<T>(_ response: String?, _ body: (Int, CannedResponder) async throws -> T) async throws -> T {
        let responder = CannedResponder(response.map { Array($0.utf8) })
        let server = try await ServerBootstrap(group: OIDCTestSupport.group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(responder) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            let value = try await body(server.localAddress?.port ?? 0, responder)
            try await server.close()
            return value
        } catch {
            try? await server.close()
            throw error
        }
    }

    static func client(limit: Int = 1024, timeout: TimeAmount = .seconds(5), plain: Bool = true) throws -> DiscoveryHTTPClient {
        DiscoveryHTTPClient(eventLoopGroup: OIDCTestSupport.group, tlsContext: try DiscoveryHTTPClient.makeTLSContext(caFile: nil),
                            allowPlainHTTP: plain, timeout: timeout, maximumBodyBytes: limit)
    }

    static func fetchError(_ client: DiscoveryHTTPClient, _ url: String) async -> DiscoveryFetchError? {
        do {
            _ = try await client.get(url)
            return nil
        } catch {
            return error
        }
    }

    @Test("a Content-Length body, and the request it sent")
    func contentLength() async throws {
        try await Self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"keys\":[]}") { port, responder in
            let body = try await Self.client().get("http://127.0.0.1:\(port)/jwks?x=1")
            #expect(String(decoding: body, as: UTF8.self) == "{\"keys\":[]}")
            let request = try #require(responder.requests.withLock { $0.first })
            #expect(request.hasPrefix("GET /jwks?x=1 HTTP/1.1\r\n"))
            #expect(request.contains("Host: 127.0.0.1:\(port)\r\n"))
        }
    }

    @Test("a chunked body")
    func chunked() async throws {
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"key\r\n6\r\ns\":[]}\r\n0\r\n\r\n"
        try await Self.withServer(response) { port, _ in
            let body = try await Self.client().get("http://127.0.0.1:\(port)/")
            #expect(String(decoding: body, as: UTF8.self) == "{\"keys\":[]}")
        }
    }

    @Test("a status other than 200 is an error, redirects included")
    func statusError() async throws {
        try await Self.withServer("HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n") { port, _ in
            let error = await Self.fetchError(try Self.client(), "http://127.0.0.1:\(port)/")
            #expect(error?.kind == .status(302))
            #expect(error?.description == "GET http://127.0.0.1:\(port)/: HTTP status 302")
        }
    }

    @Test("bodies over the limit are refused, declared or chunked")
    func sizeLimit() async throws {
        try await Self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n") { port, _ in
            let client = try Self.client(limit: 1024)
            #expect(await Self.fetchError(client, "http://127.0.0.1:\(port)/")?.kind == .tooLarge)
        }
        let chunk = String(repeating: "x", count: 600)
        try await Self.withServer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n") { port, _ in
            let small = try Self.client(limit: 1024)
            let large = try Self.client(limit: 2048)
            #expect(await Self.fetchError(small, "http://127.0.0.1:\(port)/")?.kind == .tooLarge)
            let body = try await large.get("http://127.0.0.1:\(port)/")
            #expect(body.count == 1200)
        }
    }

    @Test("a server that never answers times out")
    func timeout() async throws {
        try await Self.withServer(nil) { port, _ in
            let client = try Self.client(timeout: .milliseconds(500))
            let start = ContinuousClock.now
            let error = await Self.fetchError(client, "http://127.0.0.1:\(port)/")
            #expect(error?.kind == .timeout, "\(String(describing: error))")
            // Bounded by the deadline; the slack is for a loaded machine, not for a hang.
            #expect(ContinuousClock.now - start < .seconds(30))
        }
    }

    @Test("a body cut short is an error, not a short document")
    func truncatedBody() async throws {
        try await Self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"keys\"") { port, _ in
            let client = try Self.client()
            #expect(await Self.fetchError(client, "http://127.0.0.1:\(port)/")?.kind == .connectionClosed)
        }
    }

    @Test("plain http is refused unless allowed, before any connection")
    func plainHTTPRefused() async throws {
        try await Self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") { port, responder in
            let error = await Self.fetchError(try Self.client(plain: false), "http://127.0.0.1:\(port)/")
            #expect(error?.kind == .insecureScheme)
            #expect(responder.requests.withLock { $0.isEmpty })
        }
    }

    @Test("connection refused is reported as such")
    func connectionRefused() async throws {
        let port = try await OIDCTestSupport.freePort()
        let client = try Self.client()
        #expect(await Self.fetchError(client, "http://127.0.0.1:\(port)/")?.kind == .connect)
    }
}
