import Kube
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Sandbox

/// The SPDY exec session driven frame by frame through an NIOAsyncTestingChannel: no sockets, no
/// TLS, no codec. kubectl's side is played by hand, stream by stream.
@Suite struct SPDYExecHandlerTests {
    let api = SandboxAPI(options: .init())
    let services: SandboxServices

    init() throws {
        services = SandboxServices(
            api: api, authenticator: Authenticator(tokens: [StaticToken(token: "secret-token", user: "admin", uid: "u", groups: [])],
                                                   impersonators: []),
            audit: nil, logInterval: .milliseconds(50))
        let admin = UserInfo(username: "admin", groups: ["system:masters", "system:authenticated"])
        for (path, body) in [("/api/v1/namespaces", #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}}"#),
                             ("/api/v1/namespaces/demo/pods",
                              #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#)] {
            let target = RequestTarget(path)
            let response = api.handle(APIRequest(method: "POST", target: target, info: try RequestInfoResolver.resolve(method: "POST", target: target),
                                                 contentType: "application/json", body: Array(body.utf8), user: admin))
            #expect(response.code == 201)
        }
    }

    func plan(_ query: String, subresource: String = "exec") throws -> ExecSessionPlan {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/v1/namespaces/demo/pods/web-1/\(subresource)?\(query)",
                                   headers: ["Authorization": "Bearer secret-token", "Upgrade": "SPDY/3.1"])
        return try #require(ExecSessionPlan.make(head: head, sourceIP: "", services: services, channelProtocol: .v4))
    }

    func session(_ query: String) async throws -> NIOAsyncTestingChannel {
        let plan = try plan(query), services = services
        return try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(SPDYExecHandler(plan: plan, services: services))
        }
    }

    func open(_ channel: NIOAsyncTestingChannel, _ id: UInt32, _ type: String, fin: Bool = false) async throws {
        try await channel.writeInbound(SPDYFrame.synStream(SPDYSynStream(streamID: id, fin: fin, headers: ["streamtype": .init(type)])))
    }

    func next(_ channel: NIOAsyncTestingChannel) async throws -> SPDYFrame {
        try await channel.waitForOutboundWrite(as: SPDYFrame.self)
    }

    /// Everything written until the GOAWAY, included.
    func untilGoAway(_ channel: NIOAsyncTestingChannel) async throws -> [SPDYFrame] {
        var frames: [SPDYFrame] = []
        while true {
            let frame = try await next(channel)
            frames.append(frame)
            if case .goAway = frame { return frames }
        }
    }

    static let successStatus = Array(#"{"metadata":{},"status":"Success"}"#.utf8)

    @Test func everyStreamIsRepliedToThenTheCommandRunsAndTheSessionEnds() async throws {
        let channel = try await session("command=echo&command=hello&stdout=true&stderr=true")
        try await open(channel, 1, "error")
        #expect(try await next(channel) == .synReply(streamID: 1, headers: [:]))
        try await open(channel, 3, "stdout")
        #expect(try await next(channel) == .synReply(streamID: 3, headers: [:]))
        try await channel.writeInbound(SPDYFrame.ping(id: 1))
        #expect(try await next(channel) == .ping(id: 1))
        // A ping with an even ID is the server's own: never echoed. Nothing may run before stderr is open.
        try await channel.writeInbound(SPDYFrame.ping(id: 2))
        try await open(channel, 5, "stderr")
        #expect(try await next(channel) == .synReply(streamID: 5, headers: [:]))
        #expect(try await untilGoAway(channel) == [
            .data(streamID: 3, payload: Array("hello\n".utf8)),
            .data(streamID: 1, payload: Self.successStatus),
            .data(streamID: 1, payload: [], fin: true),
            .data(streamID: 3, payload: [], fin: true),
            .data(streamID: 5, payload: [], fin: true),
            .goAway(lastGoodStreamID: 5, status: .ok),
        ])
        try? await channel.close()
    }

    @Test func stdinDataFeedsTheCommandAndItsFinIsEndOfFile() async throws {
        let channel = try await session("command=sh&command=-c&command=cat%3B+exit+4&stdin=true&stdout=true&stderr=true")
        for (id, type) in [(UInt32(1), "error"), (3, "stdin"), (5, "stdout"), (7, "stderr")] {
            try await open(channel, id, type)
            #expect(try await next(channel) == .synReply(streamID: id, headers: [:]))
        }
        try await channel.writeInbound(SPDYFrame.data(streamID: 3, payload: Array("abc".utf8)))
        try await channel.writeInbound(SPDYFrame.data(streamID: 3, payload: Array("def\n".utf8), fin: true))
        let frames = try await untilGoAway(channel)
        let stdout = frames.compactMap { if case .data(5, let p, _) = $0 { p } else { nil } }.joined()
        #expect(String(decoding: stdout, as: UTF8.self) == "abcdef\n")
        let status = try #require(frames.first { if case .data(1, let p, _) = $0 { !p.isEmpty } else { false } })
        guard case .data(_, let payload, _) = status else { return }
        #expect(ExecResult.exitCode(from: try Status(json: try JSONParser.parse(payload))) == 4)
        try? await channel.close()
    }

    @Test func withATTYTheResizeStreamIsAwaitedAndOutputUsesCRLF() async throws {
        let channel = try await session("command=hostname&stdin=true&stdout=true&tty=true")
        for (id, type) in [(UInt32(1), "error"), (3, "stdin"), (5, "stdout")] {
            try await open(channel, id, type)
            #expect(try await next(channel) == .synReply(streamID: id, headers: [:]))
        }
        // Not started yet: a ping is answered before any output.
        try await channel.writeInbound(SPDYFrame.ping(id: 3))
        #expect(try await next(channel) == .ping(id: 3))
        try await open(channel, 7, "resize")
        #expect(try await next(channel) == .synReply(streamID: 7, headers: [:]))
        try await channel.writeInbound(SPDYFrame.data(streamID: 7, payload: Array(#"{"Width":80,"Height":24}"#.utf8)))
        let frames = try await untilGoAway(channel)
        #expect(frames.first == .data(streamID: 5, payload: Array("web-1\r\n".utf8)))
        #expect(frames.contains(.data(streamID: 1, payload: Self.successStatus)))
        try? await channel.close()
    }

    @Test func badStreamsAreResetWithTheRightStatus() async throws {
        let channel = try await session("command=sleep&command=1&stdout=true")
        try await open(channel, 2, "error")
        #expect(try await next(channel) == .rstStream(streamID: 2, status: .protocolError))
        try await open(channel, 3, "error")
        #expect(try await next(channel) == .synReply(streamID: 3, headers: [:]))
        try await open(channel, 5, "error")
        #expect(try await next(channel) == .rstStream(streamID: 5, status: .protocolError))
        try await channel.writeInbound(SPDYFrame.data(streamID: 9, payload: [1]))
        #expect(try await next(channel) == .rstStream(streamID: 9, status: .invalidStream))
        try await open(channel, 11, "stdout")
        #expect(try await next(channel) == .synReply(streamID: 11, headers: [:]))
        try await open(channel, 13, "stdin")
        #expect(try await next(channel) == .rstStream(streamID: 13, status: .refusedStream))
        try? await channel.close()
    }

    @Test func undecodableInputEndsTheSessionWithAProtocolErrorGoAway() async throws {
        let channel = try await session("command=sleep&command=5&stdout=true")
        try await open(channel, 1, "error")
        #expect(try await next(channel) == .synReply(streamID: 1, headers: [:]))
        channel.pipeline.fireErrorCaught(SPDYFrameError.zeroPingID)
        #expect(try await next(channel) == .goAway(lastGoodStreamID: 1, status: .protocolError))
        try await channel.closeFuture.get()
    }

    @Test func theExpectedStreamsFollowTheQuery() {
        #expect(SPDYExecStreams(stdin: false, stdout: true, stderr: true, tty: false).expected == [.error, .stdout, .stderr])
        #expect(SPDYExecStreams(stdin: true, stdout: true, stderr: true, tty: true).expected == [.error, .stdin, .stdout, .resize])
        #expect(SPDYExecStreams(stdin: false, stdout: false, stderr: false, tty: false).expected == [.error])
        var streams = SPDYExecStreams(stdin: false, stdout: true, stderr: false, tty: false)
        #expect(streams.open(SPDYSynStream(streamID: 1, headers: ["streamtype": "data"])) == .accept(nil))
        #expect(!streams.isComplete)
        #expect(streams.open(SPDYSynStream(streamID: 3, headers: ["streamtype": "stdout"])) == .accept(.stdout))
        #expect(streams.open(SPDYSynStream(streamID: 5, headers: ["streamtype": "error"])) == .accept(.error))
        #expect(streams.isComplete)
        #expect(streams.type(of: 3) == .stdout)
        #expect(streams.open == [1, 3, 5])
        streams.reset(3)
        #expect(!streams.isOpen(3))
    }
}

