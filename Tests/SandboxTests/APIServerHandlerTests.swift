import Foundation
import Kube
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Sandbox

/// The HTTP handler driven through an EmbeddedChannel: no sockets, no TLS.
@Suite struct APIServerHandlerTests {
    let api = SandboxAPI(options: .init())
    let auditPath = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log").path
    let audit: AuditLog
    let channel: EmbeddedChannel

    init() throws {
        audit = try AuditLog(path: auditPath)
        let services = SandboxServices(
            api: api, authenticator: Authenticator(tokens: [StaticToken(token: "secret-token", user: "admin", uid: "u", groups: [])],
                                                   impersonators: []),
            audit: audit, logInterval: .milliseconds(100))
        channel = EmbeddedChannel(handler: APIServerHandler(services: services))
    }

    func send(_ method: HTTPMethod, _ uri: String, token: String? = "secret-token", headers extra: [(String, String)] = []) throws {
        var headers = HTTPHeaders(extra)
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    /// Reads the response parts written so far: the head and the concatenated body.
    func readResponse() throws -> (head: HTTPResponseHead?, body: String, ended: Bool) {
        var head: HTTPResponseHead?
        var body = ""
        var ended = false
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .head(let h): head = h
            case .body(.byteBuffer(let b)): body += String(buffer: b)
            case .body: break
            case .end: ended = true
            }
        }
        return (head, body, ended)
    }

    func auditLines() -> [AuditEvent] {
        audit.flush()
        let text = (try? String(contentsOfFile: auditPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? AuditEvent(jsonLine: Array($0.utf8)) }
    }

    @Test func aRequestWithoutATokenGetsTheAPIServers401() throws {
        try send(.GET, "/api/v1/namespaces", token: nil)
        let response = try readResponse()
        #expect(response.head?.status == .unauthorized)
        #expect(response.body == Status.unauthorized().jsonString)
        #expect(response.head?.headers.first(name: "Audit-Id")?.isEmpty == false)
        #expect(response.ended)
        #expect(auditLines().last?.responseStatus?.code == 401)
    }

    @Test func publicPathsNeedNoToken() throws {
        try send(.GET, "/version", token: nil)
        #expect(try readResponse().head?.status == .ok)
    }

    @Test func anAuditIDFromTheClientIsKeptAndRecorded() throws {
        try send(.GET, "/api/v1/namespaces/default", headers: [("Audit-ID", "abc-123"), ("User-Agent", "kubectl/test")])
        let response = try readResponse()
        #expect(response.head?.status == .ok)
        #expect(response.head?.headers.first(name: "Audit-Id") == "abc-123")
        #expect(response.head?.headers.first(name: "Content-Length") == String(response.body.utf8.count))
        let event = try #require(auditLines().last)
        #expect(event.auditID == "abc-123")
        #expect(event.verb == "get")
        #expect(event.user.username == "admin")
        #expect(event.userAgent == "kubectl/test")
        #expect(event.objectRef == ObjectReference(resource: "namespaces", namespace: "default", name: "default", apiVersion: "v1"))
        #expect(event.responseStatus == Status(status: nil, code: 200))
    }

    @Test func aWatchStreamsEachEventAsItHappensAndStopsWhenTheClientLeaves() throws {
        let rv = api.store.currentResourceVersion
        try send(.GET, "/api/v1/namespaces?watch=true&resourceVersion=\(rv)")
        let start = try readResponse()
        #expect(start.head?.status == .ok)
        #expect(start.head?.headers.first(name: "Content-Length") == nil)
        #expect(!start.ended)
        #expect(api.store.watcherCount == 1)

        let namespaces = ResourceCatalog.all[0]
        try api.store.mutate(namespaces, namespace: "", name: "team-a") { _, _ in
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-a"]]
        }
        channel.embeddedEventLoop.run()
        let event = try JSONParser.parse(try readResponse().body)
        #expect(event["type"] == "ADDED")
        #expect(event[path: "object", "metadata", "name"] == "team-a")

        _ = try channel.close().wait()
        #expect(api.store.watcherCount == 0)
        let stages = auditLines().map(\.stage)
        #expect(stages.suffix(2) == [.responseStarted, .responseComplete])
        #expect(auditLines().last?.responseStatus?.message == "Connection closed early")
    }

    @Test func aWatchEndsAtItsTimeout() throws {
        try send(.GET, "/api/v1/namespaces?watch=true&resourceVersion=\(api.store.currentResourceVersion)&timeoutSeconds=5")
        _ = try readResponse()
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try readResponse().ended)
        #expect(api.store.watcherCount == 0)
    }

    @Test func anExpiredWatchGetsAnErrorEvent() throws {
        let store = ObjectStore(historyLimit: 1)
        let namespaces = ResourceCatalog.all[0]
        for name in ["a", "b", "c"] {
            try store.mutate(namespaces, namespace: "", name: name) { _, _ in ["metadata": ["name": .string(name)]] }
        }
        let handler = APIServerHandler(services: SandboxServices(
            api: SandboxAPI(options: .init(), store: store),
            authenticator: Authenticator(tokens: [StaticToken(token: "t", user: "u", uid: "", groups: [])], impersonators: []),
            audit: nil, logInterval: .seconds(1)))
        let channel = EmbeddedChannel(handler: handler)
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer t")
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET,
                                                                            uri: "/api/v1/namespaces?watch=1&resourceVersion=1", headers: headers)))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        var body = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            if case .body(.byteBuffer(let b)) = part { body += String(buffer: b) }
        }
        let event = try JSONParser.parse(body)
        #expect(event["type"] == "ERROR")
        #expect(event[path: "object", "code"] == 410)
    }

    @Test func aBodyOverTheLimitIsRefusedWith413() throws {
        let services = SandboxServices(api: api, authenticator: Authenticator(tokens: [StaticToken(token: "t", user: "u", uid: "", groups: [])],
                                                                             impersonators: []),
                                       audit: nil, logInterval: .seconds(1), maxBodyBytes: 10)
        let channel = EmbeddedChannel(handler: APIServerHandler(services: services))
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer t")
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .POST,
                                                                            uri: "/api/v1/namespaces", headers: headers)))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: String(repeating: "x", count: 11))))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        guard case .head(let head) = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("expected a response head")
            return
        }
        #expect(head.status.code == 413)
    }
}
