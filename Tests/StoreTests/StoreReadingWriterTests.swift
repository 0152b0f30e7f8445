import Foundation
import Kube
import Proxy
import Store
import Testing

/// The reading side against rows the real writer committed (``StoreFixture``), not SQL of our own:
/// what the proxy relayed comes back byte for byte.
@Suite struct StoreReadingWriterTests {
    @Test func aWebSocketExecRecordedByTheWriterReplaysItsExactBytesAndExitCode() async throws {
        let f = try StoreFixture.make("read-ws")
        defer { f.close() }
        let uri = "/api/v1/namespaces/demo/pods/web/exec?command=sh&stdin=true&stdout=true&stderr=true"
        let upgrade: [(name: String, value: String)] = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                                        ("Sec-WebSocket-Protocol", "v5.channel.k8s.io")]
        try f.record(TestEvents.opened(1))
        try f.record(.requestReceived(TestEvents.request(2, uri: uri, headers: upgrade)))
        try f.record(.responseStarted(RequestID(2), time: TestEvents.time(100), status: 101, headers: upgrade))
        let mask = WebSocketBytes.clientMask
        let client = WebSocketBytes.frame(2, [4] + [UInt8]("{\"Width\":132,\"Height\":43}\n"), mask: mask)
            + WebSocketBytes.frame(2, [0] + [UInt8]("ls\n"), mask: mask)
        let stdout: [UInt8] = [UInt8]("total 0\n") + [0xE2, 0x9C, 0x93, 0x0A]
        let status = ExecResult.exitCode(7, command: ["sh"]).statusBytes()
        let server = WebSocketBytes.frame(2, [1] + Array(stdout[..<9])) + WebSocketBytes.frame(2, [2] + [UInt8]("warning\n"))
            + WebSocketBytes.frame(2, [1] + Array(stdout[9...])) + WebSocketBytes.frame(2, [3] + status)
        for (index, piece) in client.chunked([5, 11]).enumerated() {
            try f.record(.streamData(RequestID(2), time: TestEvents.time(200 + Int64(index)), direction: .clientToUpstream, bytes: piece))
        }
        for (index, piece) in server.chunked([7, 3]).enumerated() {
            try f.record(.streamData(RequestID(2), time: TestEvents.time(1_000 + 100 * Int64(index)), direction: .upstreamToClient, bytes: piece))
        }
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))

        let reader = try StoreReader.open(path: f.path)
        let capture = ReplayCapture()
        var cast: AsciicastRecording? = AsciicastRecording()
        let result = try #require(try await ReplayPlayer(reader: reader, options: ReplayOptions(speed: 0)).play(.connection(1), to: capture, asciicast: &cast))
        #expect(capture.stdout == stdout)
        #expect(capture.stderr == [UInt8]("warning\n"))
        #expect(result.exitCode == 7)
        #expect(capture.narrative.suffix(2).first == "-- exit code 7")
        let lines = cast?.finish() ?? []
        #expect(lines.first?.contains(#""width":132,"height":43"#) == true)
        #expect(lines.dropFirst().map { (try? JSONParser.parse($0))?.arrayValue?[1].stringValue } == ["i", "o", "o", "o"])

        let sessions = try reader.sessions(matching: SessionFilter(resources: ["pods/exec"]))
        #expect(sessions.map(\.reference) == [.connection(1)])
        #expect(sessions.first?.usernames == ["alice"])
        let request = try #require(try reader.request(id: 2))
        #expect(request.intent == "exec into pod web in demo: sh")
        #expect(request.stream?.terminalSize == TerminalSize(width: 132, height: 43))
    }

    @Test func anExchangeRecordedByTheWriterExportsAsAnAuditEvent() throws {
        let f = try StoreFixture.make("read-export")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        let body = [UInt8](#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}"#)
        try f.record(TestEvents.exchange(2, uri: "/api/v1/namespaces/demo/pods?limit=500", chunks: body.chunked([10])))
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))

        let exporter = AuditExporter(level: .requestResponse)
        let events = try StoreReader.open(path: f.path).requests(bodies: true).flatMap(exporter.events(for:))
        let decoded = try events.map { try AuditEvent(jsonLine: $0.jsonBytes()) }
        #expect(decoded == events)
        let event = try #require(decoded.first)
        #expect(decoded.count == 1)
        #expect(event.auditID == "audit-2" && event.verb == "list" && event.stage == .responseComplete)
        #expect(event.impersonatedUser == UserInfo(username: "alice", groups: ["devs", "system:authenticated"]))
        #expect(event.sourceIPs == ["127.0.0.1"])
        #expect(event.responseStatus == Status(status: nil, code: 200))
        #expect(event.responseObject == (try JSONParser.parse(body)))
        #expect(event.requestReceivedTimestamp == TestEvents.time(10) && event.stageTimestamp == TestEvents.time(5_010))
    }
}
