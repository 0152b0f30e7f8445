import Foundation
import Intercept
import Kube
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Proxy

/// Malformed and abusive clients against the proxy's HTTP handlers (``ProxyPipeline``), without
/// sockets: raw bytes in, the gateway's answer and its records out. The answers follow
/// kube-apiserver's Go server (431, 400, 413; a late head closes) with a Status, and each is recorded.
@Suite struct ClientFaultTests {
    /// The HTTP handlers of one connection on an EmbeddedChannel, recording in memory.
    struct Rig {
        let channel: EmbeddedChannel
        let recorder: InMemoryProxyRecorder

        init(limits: ClientLimits = ClientLimits(), maxRequestBodyBytes: Int = 3 * 1024 * 1024) throws {
            let endpoint = SocketEndpoint(.v4(198, 18, 0, 2), port: 6443)
            let cluster = ClusterUpstream(name: "sandbox", endpoints: [endpoint], serverNames: [], trustRoots: [],
                                          credential: .bearerToken("unused"))
            let configuration = ProxyConfiguration(port: 15443, listenAddresses: [.v4(127, 0, 0, 1)], clusters: [cluster],
                                                   maxRequestBodyBytes: maxRequestBodyBytes, limits: limits)
            let recorder = InMemoryProxyRecorder()
            let services = try ProxyServices(configuration: configuration, authenticator: ProxyForwardingTests.FakeAuthenticator(),
                                             servingContexts: ProxyForwardingTests.NoTLS(), recorder: recorder,
                                             policy: AccessPolicy(Policy(defaultEffect: .allow)), attribution: nil,
                                             logger: .init(label: "test"))
            let connection = ConnectionContext(id: ConnectionID(7), cluster: cluster, destination: endpoint,
                                               peer: SocketEndpoint(.v4(127, 0, 0, 1), port: 40000), caller: Caller(uid: 1000))
            let channel = EmbeddedChannel()
            try channel.connect(to: try SocketAddress(ipAddress: "198.18.0.2", port: 6443)).wait()
            try ProxyPipeline.addHTTPHandlers(to: channel.pipeline.syncOperations, limits: limits) { progress in
                ProxyRequestHandler(services: services, connection: connection, eventLoop: channel.eventLoop, headProgress: progress)
            }
            self.channel = channel
            self.recorder = recorder
        }

        func send(_ text: String) throws {
            try channel.writeInbound(channel.allocator.buffer(string: text))
        }

        /// Everything written to the client so far, as text.
        func written() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        var received: [RequestRecord] { recorder.events.compactMap { if case .requestReceived(let r) = $0 { r } else { nil } } }

        var rejected: [(code: Int, reason: String)] {
            recorder.events.compactMap { if case .requestRejected(_, _, let status, let reason) = $0 { (status.code, reason) } else { nil } }
        }
    }

    /// One HTTP response's status line, headers and body.
    struct Answer {
        var code: Int
        var headers: [String: String]
        var status: JSONValue?

        init(_ text: String) throws {
            let parts = text.components(separatedBy: "\r\n\r\n")
            let lines = try #require(parts.first).components(separatedBy: "\r\n")
            code = Int(try #require(lines.first).split(separator: " ")[1]) ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                let pair = line.split(separator: ":", maxSplits: 1)
                headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces)
            }
            self.headers = headers
            status = parts.count > 1 ? try? JSONParser.parse(Array(parts[1].utf8)) : nil
        }
    }

    static func responses(in text: String) -> Int { text.components(separatedBy: "HTTP/1.1 ").count - 1 }

    @Test("a head over maxHeaderBytes is answered 431 with a Status, recorded, and the connection closed")
    func headerTooLarge() throws {
        let rig = try Rig(limits: ClientLimits(maxHeaderBytes: 1024))
        try rig.send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 2048))\r\n\r\n")
        let answer = try Answer(try rig.written())
        #expect(answer.code == 431)
        #expect(answer.headers["connection"] == "close")
        #expect(answer.status?["message"] == "Request header fields too large: limit is 1024")
        #expect(answer.status?["code"] == 431)
        #expect(rig.received.map(\.intent) == ["malformed request: GET /api/v1/namespaces"])
        #expect(rig.rejected.map(\.code) == [431])
        #expect(rig.rejected.first?.reason == "the request line and header fields are over 1024 bytes")
        #expect(!rig.channel.isActive)
    }

    @Test("a 200 KB header field is within kube-apiserver's 1 MiB and gets the ordinary answer (here 401: no token)")
    func largeHeaderWithinTheLimit() throws {
        let rig = try Rig()
        try rig.send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 200 * 1024))\r\n\r\n")
        let answer = try Answer(try rig.written())
        #expect(answer.code == 401)
        #expect(answer.status?["reason"] == "Unauthorized")
        #expect(rig.rejected.map(\.reason) == ["no token in the Authorization header"])
        #expect(rig.channel.isActive, "an ordinary answer keeps the connection")
    }

    @Test("a malformed request line or header field is answered 400, naming the problem", arguments: [
        ("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", "invalid HTTP method"),
        ("GET /api HTTP/1.1\r\nBad Header: y\r\n\r\n", "invalid character in header"),
        ("GET /api HTTP/9.9\r\nHost: x\r\n\r\n", "invalid HTTP version"),
    ])
    func malformed(request: String, problem: String) throws {
        let rig = try Rig()
        try rig.send(request)
        let answer = try Answer(try rig.written())
        #expect(answer.code == 400)
        #expect(answer.status?["reason"] == "BadRequest")
        #expect(answer.status?["message"]?.stringValue?.contains(problem) == true, "\(String(describing: answer.status))")
        #expect(rig.rejected.count == 1 && rig.rejected[0].reason.contains(problem), "\(rig.rejected)")
        #expect(!rig.channel.isActive)
    }

    @Test("Content-Length with Transfer-Encoding, in either order, is answered 400 once: the request hidden in the body never runs",
          arguments: ["Content-Length: 5\r\nTransfer-Encoding: chunked", "Transfer-Encoding: chunked\r\nContent-Length: 5"])
    func noSmuggling(framing: String) throws {
        let rig = try Rig()
        try rig.send("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n\(framing)\r\n\r\n"
                     + "0\r\n\r\nGET /api/v1/namespaces/kube-system/secrets HTTP/1.1\r\nHost: x\r\n\r\n")
        let written = try rig.written()
        #expect(Self.responses(in: written) == 1, "\(written)")
        let answer = try Answer(written)
        #expect(answer.code == 400)
        #expect(answer.status?["message"]?.stringValue?.contains("Content-Length together with Transfer-Encoding") == true)
        #expect(rig.received.count == 1)
        #expect(rig.received.first?.uri == "/api/v1/namespaces/default/configmaps")
        #expect(rig.rejected.map(\.code) == [400])
        #expect(!rig.channel.isActive)
    }

    @Test("two Content-Lengths are answered 400")
    func twoContentLengths() throws {
        let rig = try Rig()
        try rig.send("POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello")
        let answer = try Answer(try rig.written())
        #expect(answer.code == 400)
        #expect(answer.status?["message"]?.stringValue?.contains("Content-Length given more than once") == true, "\(String(describing: answer.status))")
    }

    @Test("a declared body over maxRequestBodyBytes is answered 413 at once, naming the configured limit, and the rest is ignored")
    func declaredBodyTooLarge() throws {
        let rig = try Rig(maxRequestBodyBytes: 1000)
        try rig.send("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        let answer = try Answer(try rig.written())
        #expect(answer.code == 413)
        #expect(answer.status?["message"] == "Request entity too large: limit is 1000")
        #expect(answer.status?["reason"] == "RequestEntityTooLarge")
        #expect(answer.headers["connection"] == "close")
        #expect(rig.rejected.first?.reason == "the request body is over the limit: Content-Length 5000 > 1000 bytes")
        #expect(rig.received.first?.intent == "request body too large: POST /api/v1/namespaces/default/configmaps")
        #expect(!rig.channel.isActive)
    }

    @Test("a chunked body that grows past maxRequestBodyBytes is answered 413 once")
    func chunkedBodyTooLarge() throws {
        let rig = try Rig(maxRequestBodyBytes: 1000)
        try rig.send("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try rig.send("258\r\n\(String(repeating: "a", count: 600))\r\n")
        #expect(try rig.written().isEmpty, "600 bytes are within the limit")
        try rig.send("258\r\n\(String(repeating: "b", count: 600))\r\n")
        let written = try rig.written()
        #expect(Self.responses(in: written) == 1)
        #expect(try Answer(written).code == 413)
        #expect(rig.rejected.first?.reason == "the request body is over the limit: more than 1000 bytes")
        #expect(rig.received.first?.body.count == 600, "the record keeps what arrived within the limit")
    }

    @Test("a head not finished within requestHeaderTimeout is answered 408, recorded and closed")
    func slowHead() throws {
        let rig = try Rig(limits: ClientLimits(requestHeaderTimeout: .seconds(5)))
        try rig.send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n")
        rig.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(rig.channel.isActive)
        try rig.send("X-Slow: 1\r\n")
        rig.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let answer = try Answer(try rig.written())
        #expect(answer.code == 408)
        #expect(answer.status?["reason"] == "Timeout")
        #expect(rig.received.first?.intent == "incomplete request: GET /api/v1/namespaces")
        #expect(rig.rejected.first?.reason == "the request head was not complete within 5s")
        #expect(!rig.channel.isActive)
    }

    @Test("a connection that sends nothing within requestHeaderTimeout is closed without an answer or a request record")
    func silentConnection() throws {
        let rig = try Rig(limits: ClientLimits(requestHeaderTimeout: .seconds(5)))
        rig.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try rig.written().isEmpty)
        #expect(rig.received.isEmpty)
        #expect(!rig.channel.isActive)
    }

    @Test("a body below minRequestBodyRate after the grace period is answered 408; one at the rate is not")
    func slowBody() throws {
        let limits = ClientLimits(minRequestBodyRate: 100, requestBodyGracePeriod: .seconds(3))
        let slow = try Rig(limits: limits)
        try slow.send("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n")
        for _ in 0..<2 {
            try slow.send(String(repeating: "a", count: 50))
            slow.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(slow.channel.isActive, "still within the grace period")
        slow.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let answer = try Answer(try slow.written())
        #expect(answer.code == 408)
        #expect(slow.rejected.first?.reason == "the request body arrived too slowly: 100 bytes in 3s, below the minimum of 100 bytes/s")
        #expect(!slow.channel.isActive)

        let steady = try Rig(limits: limits)
        try steady.send("POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n")
        for _ in 0..<8 {
            try steady.send(String(repeating: "a", count: 150))
            steady.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(try steady.written().isEmpty)
        #expect(steady.channel.isActive)
    }

    @Test("a connection over its caller's cap is answered 429 with Retry-After and closed")
    func tooManyConnections() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: try SocketAddress(ipAddress: "198.18.0.2", port: 6443)).wait()
        let status = Status.tooManyRequests("portcullis: too many open connections from uid 1000", retryAfterSeconds: 1)
        try ProxyPipeline.addHTTPHandlers(to: channel.pipeline.syncOperations, limits: ClientLimits()) { _ in
            RefusalResponder(status: status)
        }
        try channel.writeInbound(channel.allocator.buffer(string: "GET /api HTTP/1.1\r\nHost: x\r\n\r\nGET /api HTTP/1.1\r\n\r\n"))
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        #expect(Self.responses(in: text) == 1)
        let answer = try Answer(text)
        #expect(answer.code == 429)
        #expect(answer.headers["retry-after"] == "1")
        #expect(answer.headers["connection"] == "close")
        #expect(answer.status?["reason"] == "TooManyRequests")
        #expect(answer.status?["details"]?["retryAfterSeconds"] == 1)
        #expect(!channel.isActive)
    }
}
