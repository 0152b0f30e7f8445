import Kube
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Sandbox

/// The SPDY/3.1 upgrade through the sandbox's real HTTP pipeline (no sockets, no TLS), and the
/// answers to SPDY requests the sandbox refuses; plus the two things kubectl 1.27 to 1.29 need
/// before they ever exec: legacy discovery when they ask for v2beta1, and a parseable OpenAPI v2
/// content type.
@Suite struct SPDYUpgradeTests {
    let api = SandboxAPI(options: .init())
    let services: SandboxServices
    let admin = UserInfo(username: "admin", groups: ["system:masters", "system:authenticated"])

    init() throws {
        services = SandboxServices(
            api: api, authenticator: Authenticator(tokens: [StaticToken(token: "secret-token", user: "admin", uid: "u", groups: [])],
                                                   impersonators: []),
            audit: nil, logInterval: .milliseconds(50))
        for (path, body) in [("/api/v1/namespaces", #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}"#),
                             ("/api/v1/namespaces/demo/pods",
                              #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#)] {
            #expect(try request("POST", path, body: body).code == 201)
        }
    }

    func request(_ method: String, _ path: String, body: String = "", accept: String = "", upgrade: String = "") throws -> APIResponse {
        let target = RequestTarget(path)
        return api.handle(APIRequest(method: method, target: target, info: try RequestInfoResolver.resolve(method: method, target: target),
                                     accept: accept, contentType: "application/json", upgrade: upgrade, body: Array(body.utf8), user: admin))
    }

    func refusal(_ method: String, _ path: String) throws -> Status? {
        if case .status(let status) = try request(method, path, upgrade: "spdy/3.1") { return status }
        return nil
    }

    /// The sandbox's pipeline on a testing channel, as SandboxServer.configure builds it minus TLS.
    func pipeline() async throws -> NIOAsyncTestingChannel {
        let services = self.services
        return try await NIOAsyncTestingChannel { channel in
            let sync = channel.pipeline.syncOperations
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: true,
                withServerUpgrade: (upgraders: [SPDYExecUpgrader(services: services)],
                                    completionHandler: { context in context.pipeline.syncOperations.removeHandler(name: "api", promise: nil) }),
                withErrorHandling: true)
            try sync.addHandler(APIServerHandler(services: services), name: "api")
        }
    }

    func readText(_ channel: NIOAsyncTestingChannel) async throws -> String {
        var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        while let more = try await channel.readOutbound(as: ByteBuffer.self) { buffer.writeImmutableBuffer(more) }
        return String(buffer: buffer)
    }

    @Test func anExecUpgradeAnswers101ThenSpeaksSPDY() async throws {
        let channel = try await pipeline()
        let head = "POST /api/v1/namespaces/demo/pods/web-1/exec?command=sleep&command=30&stdout=true HTTP/1.1\r\n"
            + "Host: sandbox\r\nAuthorization: Bearer secret-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + "X-Stream-Protocol-Version: v5.channel.k8s.io\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
            + "X-Stream-Protocol-Version: v3.channel.k8s.io\r\nContent-Length: 0\r\n\r\n"
        // NIO's upgrade handler reports the declined upgrade down the pipeline before passing the
        // request on, as it does for a declined WebSocket upgrade; the testing channel rethrows it.
        do {
            try await channel.writeInbound(ByteBuffer(string: head))
        } catch is SPDYExecUpgrader.Declined {}
        let response = try await readText(channel)
        let lines = response.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "HTTP/1.1 101 Switching Protocols", "\(response)")
        #expect(lines.contains("connection: upgrade"), "\(response)")
        #expect(lines.contains("upgrade: SPDY/3.1"), "\(response)")
        #expect(lines.contains("X-Stream-Protocol-Version: v4.channel.k8s.io"), "\(response)")

        // From here on the connection carries SPDY frames, compressed both ways.
        let encoder = SPDYFrameEncoder(), decoder = SPDYFrameDecoder()
        try await channel.writeInbound(ByteBuffer(bytes: try encoder.encode(.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "error"])))))
        try await channel.writeInbound(ByteBuffer(bytes: try encoder.encode(.ping(id: 1))))
        var frames: [SPDYFrame] = []
        while frames.count < 2 {
            frames += try decoder.decode(try await channel.waitForOutboundWrite(as: ByteBuffer.self).readableBytesView)
        }
        #expect(frames == [.synReply(streamID: 1, headers: [:]), .ping(id: 1)])
        try? await channel.close()
    }

    @Test func anExecUpgradeWithoutAnAcceptableProtocolGetsA400() async throws {
        let channel = try await pipeline()
        let head = "POST /api/v1/namespaces/demo/pods/web-1/exec?command=ls&stdout=true HTTP/1.1\r\n"
            + "Host: sandbox\r\nAuthorization: Bearer secret-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + "X-Stream-Protocol-Version: v3.channel.k8s.io\r\nContent-Length: 0\r\n\r\n"
        // NIO's upgrade handler reports the declined upgrade down the pipeline before passing the
        // request on, as it does for a declined WebSocket upgrade; the testing channel rethrows it.
        do {
            try await channel.writeInbound(ByteBuffer(string: head))
        } catch is SPDYExecUpgrader.Declined {}
        let response = try await readText(channel)
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request"), "\(response)")
        #expect(response.contains("unsupported X-Stream-Protocol-Version for SPDY/3.1: offer v4.channel.k8s.io or v5.channel.k8s.io"), "\(response)")
        try? await channel.close()
    }

    @Test func spdyRequestsTheSandboxDoesNotServeGetA400SayingWhy() throws {
        let portForward = try refusal("POST", "/api/v1/namespaces/demo/pods/web-1/portforward")
        #expect(portForward?.code == 400)
        #expect(portForward?.message == "portcullis-sandbox does not support port-forward (pods/portforward), over SPDY/3.1 or WebSocket")
        let list = try refusal("GET", "/api/v1/namespaces/demo/pods")
        #expect(list?.code == 400)
        #expect(list?.message == "portcullis-sandbox serves SPDY/3.1 upgrades only for pods/exec and pods/attach")
        let missingPod = try refusal("POST", "/api/v1/namespaces/demo/pods/nope/exec?command=ls")
        #expect(missingPod?.code == 404)
    }

    @Test func discoveryV2Beta1OnlyClientsGetLegacyDiscovery() throws {
        let v2beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
        guard case .json(_, let legacy, let type) = try request("GET", "/apis", accept: v2beta1) else {
            Issue.record("expected JSON")
            return
        }
        #expect(type == "application/json")
        #expect(legacy["kind"] == "APIGroupList")
        let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," + v2beta1
        guard case .json(_, _, let aggregatedType) = try request("GET", "/api", accept: v2) else {
            Issue.record("expected JSON")
            return
        }
        #expect(aggregatedType == DiscoveryDocuments.aggregatedContentType)
    }

    @Test func openAPIV2ProtobufHasAContentTypeGoCanParse() throws {
        guard case .raw(_, _, let type) = try request("GET", "/openapi/v2", accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf") else {
            Issue.record("expected the protobuf document")
            return
        }
        #expect(type == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        #expect(!type.contains("@"))
    }
}
