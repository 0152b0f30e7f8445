import Foundation
import GRDB
import Intercept
import Kube
import NIOCore
@testable import Proxy
import Store
import Testing
import TestSupport

/// Builds WebSocket frames as kubectl and the API server send them.
enum WebSocketBytes {
    static func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(shift))) }
        }
        guard let mask else { return out + payload }
        out += mask
        return out + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    static let clientMask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
}

/// Compresses with the system's gzip, as an API server would.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-c", "-n"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let writer = Thread {
        input.fileHandleForWriting.write(Data(bytes))
        try? input.fileHandleForWriting.close()
    }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](data)
}

/// The recorder maps every proxy event to its rows: connections, requests, responses (bodies capped,
/// gzip decoded), watch events and log lines as they flow, exec channels decoded from WebSocket and
/// SPDY, and whatever does not decode kept raw.
@Suite struct StoreRecorderTests {
    func streamRows(_ f: StoreFixture, request: Int64) throws -> [(direction: String, channel: String, data: [UInt8])] {
        try f.rows("SELECT direction, channel, data FROM stream_events WHERE request_id = ? ORDER BY seq", [request]).map {
            ($0["direction"], $0["channel"], [UInt8]($0["data"] as Data))
        }
    }

    @Test func aFullRequestAndResponse() throws {
        let f = try StoreFixture.make("rec-full")
        defer { f.close() }
        let body = [UInt8]("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"web-1\"}}]}\n")
        try f.record(TestEvents.opened(1))
        try f.record(TestEvents.exchange(
            2, uri: "/api/v1/namespaces/demo/pods?limit=500",
            requestHeaders: [("Authorization", "Bearer eyJ.token.sig"), ("Accept", "application/json"), ("cookie", "s=1")],
            responseHeaders: [("Content-Type", "application/json"), ("Audit-Id", "abc"), ("Set-Cookie", "s=2")],
            chunks: body.chunked([7, 13])))
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))

        let connection = try f.rows("SELECT * FROM connections")[0]
        #expect(connection.int("id") == 1 && connection.text("outcome") == "allowed" && connection.text("cluster") == "prod")
        #expect(connection.text("peer") == "127.0.0.1:41" && connection.text("original_destination") == "198.18.0.2:6443")
        #expect(connection.int("uid") == 1000 && connection.int("pid") == 4242 && connection.text("executable") == "/usr/bin/kubectl")
        #expect(connection.text("command_line") == "[\"kubectl\",\"get\",\"pods\"]")

        let request = try f.rows("SELECT * FROM requests")[0]
        #expect(request.int("id") == 2 && request.int("connection_id") == 1 && request.text("verb") == "list" && request.text("resource") == "pods")
        #expect(request.text("namespace") == "demo" && request.text("intent") == "list pods in demo")
        #expect(request.text("username") == "alice" && request.text("groups") == "[\"devs\"]" && request.text("issuer") == "https://issuer.test")
        #expect(request.text("headers") == "[[\"Authorization\",\"[redacted]\"],[\"Accept\",\"application/json\"],[\"cookie\",\"[redacted]\"]]")
        #expect(request.int("received_at") == TestEvents.time(10).microseconds)

        let response = try f.rows("SELECT * FROM responses")[0]
        #expect(response.int("request_id") == 2 && response.int("status_code") == 200 && response.int("rejected") == 0)
        #expect([UInt8](response["body"] as Data) == body && response.int("body_truncated") == 0 && response.int("bytes") == Int64(body.count))
        #expect(response.text("headers") == "[[\"Content-Type\",\"application/json\"],[\"Audit-Id\",\"abc\"],[\"Set-Cookie\",\"[redacted]\"]]")
        let latency = (response["completed_at"] as Int64) - (request["received_at"] as Int64)
        #expect(latency == 5_000 && response.int("started_at") == TestEvents.time(1_010).microseconds)

        #expect(try f.rows("SELECT * FROM connection_ends")[0].int("closed_at") == TestEvents.time(9_000).microseconds)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    @Test func aRejectedRequestRecordsTheGatewaysAnswer() throws {
        let f = try StoreFixture.make("rec-rejected")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        try f.record(TestEvents.received(2, method: "DELETE", uri: "/api/v1/namespaces/prod"))
        let status = Status.forbidden(GroupResource(resource: "namespaces"), name: "prod", "denied by policy")
        try f.record(.requestRejected(RequestID(2), time: TestEvents.time(50), status: status, reason: "policy: no deletes in prod"))
        let response = try f.rows("SELECT * FROM responses")[0]
        #expect(response.int("rejected") == 1 && response.int("status_code") == 403 && response.text("reason") == "policy: no deletes in prod")
        #expect([UInt8](response["body"] as Data) == status.jsonBytes())
        #expect(response.int("completed_at") == TestEvents.time(50).microseconds)
        #expect(try f.rows("SELECT intent FROM requests")[0].text("intent") == "delete namespace prod")
    }

    @Test func aGzipResponseIsStoredDecoded() throws {
        let f = try StoreFixture.make("rec-gzip", recorder: StoreRecorderConfiguration(bodyLimit: 4096))
        defer { f.close() }
        let body = [UInt8]("{\"kind\":\"ConfigMapList\",\"items\":[" + (0..<20).map { "{\"metadata\":{\"name\":\"cm-\($0)\"}}" }
            .joined(separator: ",") + "]}")
        let compressed = try gzipped(body)
        #expect(compressed.count < body.count && compressed[0] == 0x1F)
        try f.record(TestEvents.exchange(2, uri: "/api/v1/configmaps",
                                         responseHeaders: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                                         chunks: compressed.chunked([5, 1, 30])))
        let response = try f.rows("SELECT * FROM responses")[0]
        #expect([UInt8](response["body"] as Data) == body)
        #expect(response.int("body_truncated") == 0 && response.int("bytes") == Int64(compressed.count))

        // Longer than the limit once decoded: cut there, and noted.
        let large = [UInt8](String(repeating: "{\"k\":\"v\"}\n", count: 2000))
        try f.record(TestEvents.exchange(3, uri: "/api/v1/configmaps",
                                         responseHeaders: [("Content-Type", "text/plain"), ("content-encoding", "GZIP")],
                                         chunks: try gzipped(large).chunked([100])))
        let cut = try f.rows("SELECT * FROM responses WHERE request_id = 3")[0]
        #expect([UInt8](cut["body"] as Data) == Array(large.prefix(4096)) && cut.int("body_truncated") == 1)

        // The proxy relayed more than it handed over: the body is noted as cut.
        try f.record([
            TestEvents.received(4, uri: "/api/v1/configmaps"),
            .responseStarted(RequestID(4), time: TestEvents.time(20), status: 200, headers: [("Content-Type", "application/json")]),
            .responseBody(RequestID(4), bytes: [UInt8]("{\"kind\":\"ConfigMapList\",")),
            .responseCompleted(RequestID(4), time: TestEvents.time(30), bytes: 100_000),
        ])
        let partial = try f.rows("SELECT * FROM responses WHERE request_id = 4")[0]
        #expect(partial.int("body_truncated") == 1 && partial.int("bytes") == 100_000)
    }

    @Test func aWatchBodyBecomesOneRowPerEventWhateverTheChunks() throws {
        let events = [
            "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"} { ] [\"}}}\n",
            "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"q\":\"say \\\"}\\\"\"}}}\n",
            "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"12\"}}}",
            "{\"type\":\"DELETED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}}\n",
        ]
        let body = [UInt8](events.joined())
        for (index, sizes) in [[1], [2, 3], [5, 7, 11], [body.count]].enumerated() {
            let f = try StoreFixture.make("rec-watch-\(index)")
            defer { f.close() }
            try f.record(TestEvents.exchange(2, uri: "/api/v1/namespaces/demo/configmaps?watch=true&resourceVersion=10",
                                             chunks: body.chunked(sizes)))
            let rows = try streamRows(f, request: 2)
            #expect(rows.map(\.channel) == Array(repeating: "watch", count: 4), "sizes \(sizes)")
            #expect(rows.map { String(decoding: $0.data, as: UTF8.self) } == events.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 })
            #expect(rows.allSatisfy { $0.direction == "upstream_to_client" })
            let response = try f.rows("SELECT body, bytes FROM responses")[0]
            #expect(response["body"] as Data? == nil && response.int("bytes") == Int64(body.count))
        }
    }

    @Test func followedLogsBecomeOneRowPerLine() throws {
        let f = try StoreFixture.make("rec-logs")
        defer { f.close() }
        let body = [UInt8]("starting\nlistening on :8080\n\nrequest 1 {\"a\":1}\nno newline at the end")
        try f.record(TestEvents.exchange(2, uri: "/api/v1/namespaces/demo/pods/web/log?container=main&follow=true",
                                         responseHeaders: [("Content-Type", "text/plain")], chunks: body.chunked([4, 9])))
        let lines = try streamRows(f, request: 2).map { String(decoding: $0.data, as: UTF8.self) }
        #expect(lines == ["starting\n", "listening on :8080\n", "\n", "request 1 {\"a\":1}\n", "no newline at the end"])
        #expect(try streamRows(f, request: 2).allSatisfy { $0.channel == "log" })
        // Without follow, a log is an ordinary body.
        try f.record(TestEvents.exchange(3, uri: "/api/v1/namespaces/demo/pods/web/log", responseHeaders: [("Content-Type", "text/plain")],
                                         chunks: [[UInt8]("one\ntwo\n")]))
        #expect(try streamRows(f, request: 3).isEmpty)
        #expect(try f.rows("SELECT body FROM responses WHERE request_id = 3")[0]["body"] == Data("one\ntwo\n".utf8))
    }

    @Test func webSocketExecIsDecodedToChannels() throws {
        let f = try StoreFixture.make("rec-ws")
        defer { f.close() }
        let uri = "/api/v1/namespaces/demo/pods/web/exec?command=sh&container=main&stdin=true&stdout=true&stderr=true"
        try f.record(TestEvents.opened(1))
        try f.record(.requestReceived(TestEvents.request(2, uri: uri, headers: [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io"),
        ])))
        try f.record(.responseStarted(RequestID(2), time: TestEvents.time(100), status: 101, headers: [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io"),
        ]))
        let mask = WebSocketBytes.clientMask
        let resize = [UInt8]("{\"Width\":80,\"Height\":24}\n")
        var clientBytes = WebSocketBytes.frame(2, [4] + resize, mask: mask)
        clientBytes += WebSocketBytes.frame(2, [0] + [UInt8]("ls -l\n"), mask: mask)
        // A fragmented stdin message with a ping between its fragments.
        clientBytes += WebSocketBytes.frame(2, [0] + [UInt8]("echo "), fin: false, mask: mask)
        clientBytes += WebSocketBytes.frame(9, [UInt8]("ping"), mask: mask)
        clientBytes += WebSocketBytes.frame(0, [UInt8]("hello "), fin: false, mask: mask)
        clientBytes += WebSocketBytes.frame(0, [UInt8]("world\n"), mask: mask)
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300)
        clientBytes += WebSocketBytes.frame(2, [0] + long, mask: mask)
        clientBytes += WebSocketBytes.frame(2, [255, 0], mask: mask)
        clientBytes += WebSocketBytes.frame(8, [0x03, 0xE8], mask: mask)
        let status = Status(status: Status.success, code: 0).nestedJSONBytes()
        var serverBytes = WebSocketBytes.frame(2, [1] + [UInt8]("total 0\n"))
        serverBytes += WebSocketBytes.frame(2, [2] + [UInt8]("warning\n"))
        serverBytes += WebSocketBytes.frame(10, [UInt8]("ping"))
        serverBytes += WebSocketBytes.frame(2, [3] + status)
        serverBytes += WebSocketBytes.frame(8, [0x03, 0xE8])
        // Interleave the two directions in uneven pieces, as the relay sees them.
        let c = clientBytes.chunked([3, 17, 1, 40])
        let s = serverBytes.chunked([2, 9])
        for index in 0..<max(c.count, s.count) {
            if index < c.count {
                try f.record(.streamData(RequestID(2), time: TestEvents.time(200 + Int64(index)), direction: .clientToUpstream, bytes: c[index]))
            }
            if index < s.count {
                try f.record(.streamData(RequestID(2), time: TestEvents.time(200 + Int64(index)), direction: .upstreamToClient, bytes: s[index]))
            }
        }
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))

        let rows = try streamRows(f, request: 2)
        let client = rows.filter { $0.direction == "client_to_upstream" }
        let server = rows.filter { $0.direction == "upstream_to_client" }
        #expect(client.map(\.channel) == ["resize", "stdin", "stdin", "stdin", "close"])
        #expect(client.map(\.data) == [resize, [UInt8]("ls -l\n"), [UInt8]("echo hello world\n"), long, [0]])
        #expect(server.map(\.channel) == ["stdout", "stderr", "error"])
        #expect(server.map(\.data) == [[UInt8]("total 0\n"), [UInt8]("warning\n"), status])
        #expect(rows.allSatisfy { $0.channel != "raw" })
        let response = try f.rows("SELECT * FROM responses")[0]
        #expect(response.int("status_code") == 101 && response.int("bytes") == Int64(serverBytes.count))
        #expect(response.int("completed_at") == TestEvents.time(9_000).microseconds)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    @Test func spdyExecIsDecodedToChannels() throws {
        let f = try StoreFixture.make("rec-spdy")
        defer { f.close() }
        let uri = "/api/v1/namespaces/demo/pods/web/exec?command=sh&container=main&stdin=true&stdout=true&stderr=true"
        try f.record(TestEvents.opened(1))
        try f.record(.requestReceived(TestEvents.request(2, method: "POST", uri: uri, headers: [
            ("Upgrade", "SPDY/3.1"), ("Connection", "Upgrade"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
        ])))
        try f.record(.responseStarted(RequestID(2), time: TestEvents.time(100), status: 101, headers: [
            ("Upgrade", "SPDY/3.1"), ("Connection", "Upgrade"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
        ]))
        let client = SPDYFrameEncoder()
        var clientBytes: [UInt8] = []
        for (id, type) in [(1, "error"), (3, "stdin"), (5, "stdout"), (7, "stderr"), (9, "resize")] {
            clientBytes += try client.encode(.synStream(SPDYSynStream(streamID: UInt32(id), headers: ["streamtype": type])))
        }
        clientBytes += try client.encode(.data(streamID: 9, payload: [UInt8]("{\"Width\":100,\"Height\":30}")))
        clientBytes += try client.encode(.data(streamID: 3, payload: [UInt8]("id\n")))
        clientBytes += try client.encode(.ping(id: 1))
        clientBytes += try client.encode(.data(streamID: 3, payload: [], fin: true))
        let server = SPDYFrameEncoder()
        let status = Status(status: Status.success, code: 0).nestedJSONBytes()
        var serverBytes = try server.encode(.synReply(streamID: 1, headers: [:]))
        serverBytes += try server.encode(.synReply(streamID: 5, headers: [:]))
        serverBytes += try server.encode(.data(streamID: 5, payload: [UInt8]("uid=0(root)\n")))
        serverBytes += try server.encode(.data(streamID: 7, payload: [UInt8]("oops\n")))
        serverBytes += try server.encode(.data(streamID: 1, payload: status, fin: true))
        for (index, piece) in clientBytes.chunked([5, 50]).enumerated() {
            try f.record(.streamData(RequestID(2), time: TestEvents.time(200 + Int64(index)), direction: .clientToUpstream, bytes: piece))
        }
        for (index, piece) in serverBytes.chunked([3, 21]).enumerated() {
            try f.record(.streamData(RequestID(2), time: TestEvents.time(400 + Int64(index)), direction: .upstreamToClient, bytes: piece))
        }
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(9_000)))
        let rows = try streamRows(f, request: 2)
        let sent = rows.filter { $0.direction == "client_to_upstream" }
        let received = rows.filter { $0.direction == "upstream_to_client" }
        #expect(sent.map(\.channel) == ["resize", "stdin", "close"])
        #expect(sent.map(\.data) == [[UInt8]("{\"Width\":100,\"Height\":30}"), [UInt8]("id\n"), [0]])
        #expect(received.map(\.channel) == ["stdout", "stderr", "error", "close"])
        #expect(received.map(\.data) == [[UInt8]("uid=0(root)\n"), [UInt8]("oops\n"), status, [3]])
    }

    @Test func bytesThatDoNotDecodeAreKeptRaw() throws {
        let f = try StoreFixture.make("rec-raw")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        // WebSocket that turns into garbage (a reserved opcode) after one good message.
        let uri = "/api/v1/namespaces/demo/pods/web/exec?command=sh&stdout=true"
        try f.record(.requestReceived(TestEvents.request(2, uri: uri)))
        try f.record(.responseStarted(RequestID(2), time: TestEvents.time(1), status: 101, headers: [
            ("Upgrade", "websocket"), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io"),
        ]))
        let garbage: [UInt8] = [0x83, 0x05, 1, 2, 3, 4, 5, 0xFF, 0x00, 0x10]
        let good = WebSocketBytes.frame(2, [1] + [UInt8]("ok\n"))
        for piece in (good + garbage).chunked([4]) {
            try f.record(.streamData(RequestID(2), time: TestEvents.time(2), direction: .upstreamToClient, bytes: piece))
        }
        try f.record(.streamData(RequestID(2), time: TestEvents.time(3), direction: .upstreamToClient, bytes: [9, 9, 9]))
        // An unknown channel number in a good frame.
        try f.record(.streamData(RequestID(2), time: TestEvents.time(4), direction: .clientToUpstream,
                                 bytes: WebSocketBytes.frame(2, [7, 1, 2], mask: WebSocketBytes.clientMask)))
        var rows = try streamRows(f, request: 2)
        #expect(rows.first.map { $0.channel == "stdout" && $0.data == [UInt8]("ok\n") } == true)
        let raw = rows.filter { $0.channel == "raw" && $0.direction == "upstream_to_client" }.flatMap(\.data)
        #expect(raw == garbage + [9, 9, 9])
        #expect(rows.contains { $0.channel == "raw" && $0.direction == "client_to_upstream" && $0.data == [7, 1, 2] })

        // SPDY whose second frame is broken: a control frame of version 2.
        try f.record(.requestReceived(TestEvents.request(3, method: "POST", uri: uri)))
        try f.record(.responseStarted(RequestID(3), time: TestEvents.time(1), status: 101, headers: [("Upgrade", "SPDY/3.1")]))
        let encoder = SPDYFrameEncoder()
        let first = try encoder.encode(.synStream(SPDYSynStream(streamID: 1, headers: ["streamtype": "stdout"])))
        let broken: [UInt8] = [0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xAB, 0xCD, 0xEF]
        try f.record(.streamData(RequestID(3), time: TestEvents.time(2), direction: .clientToUpstream, bytes: first + broken))
        rows = try streamRows(f, request: 3)
        #expect(rows.map(\.channel) == ["raw"] && rows.first?.data == broken)

        // Port-forward over WebSocket: kept raw per message.
        try f.record(.requestReceived(TestEvents.request(4, uri: "/api/v1/namespaces/demo/pods/web/portforward?ports=80")))
        try f.record(.responseStarted(RequestID(4), time: TestEvents.time(1), status: 101, headers: [
            ("Upgrade", "websocket"), ("Sec-WebSocket-Protocol", "v4.channel.k8s.io"),
        ]))
        try f.record(.streamData(RequestID(4), time: TestEvents.time(2), direction: .upstreamToClient,
                                 bytes: WebSocketBytes.frame(2, [0, 80, 0])))
        rows = try streamRows(f, request: 4)
        #expect(rows.map(\.channel) == ["raw"] && rows.first?.data == [0, 80, 0])
    }

    @Test func refusalsBypassesAndTamperingAreRecorded() throws {
        let f = try StoreFixture.make("rec-intercept")
        defer { f.close() }
        let refused = RefusedConnection(time: TestEvents.time(1), peer: .v4(10, 0, 0, 7), peerPort: 40000,
                                        originalDestination: .v4(198, 18, 0, 99), originalPort: 443,
                                        caller: Caller(sourceAddress: .v4(10, 0, 0, 7)), reason: "no cluster for 198.18.0.99:443")
        try f.record(.connectionRefused(refused))
        f.recorder.record(.refusedConnection(refused))
        f.recorder.record(.bypassAttempt(BypassAttempt(
            time: TestEvents.time(2), flow: Flow(transport: .udp, source: .v4(10, 0, 0, 8), sourcePort: 53, destination: .v4(198, 18, 0, 2),
                                                 destinationPort: 6443),
            caller: Caller(uid: 1001, gid: 1001, process: CallerProcess(pid: 77, executable: "/usr/bin/curl", commandLine: ["curl", "-k"])),
            outInterface: "eth0", note: "open before the rules")))
        f.recorder.record(.tamper(TamperEvent(time: TestEvents.time(3), drift: ["nat OUTPUT: the jump is missing"], restored: true)))
        try f.writer.sync()
        let connections = try f.rows("SELECT * FROM connections ORDER BY seq")
        #expect(connections.map { $0["id"] as Int64 } == [-1, -2])
        #expect(connections.allSatisfy { $0.text("outcome") == "refused" && $0.text("reason") == "no cluster for 198.18.0.99:443" })
        #expect(connections[0].text("peer") == "10.0.0.7:40000" && connections[0].text("original_destination") == "198.18.0.99:443")
        let bypass = try f.rows("SELECT * FROM guard_events")[0]
        #expect(bypass.text("protocol") == "udp" && bypass.int("destination_port") == 6443 && bypass.int("uid") == 1001 && bypass.int("pid") == 77)
        #expect(bypass.text("command_line") == "[\"curl\",\"-k\"]" && bypass.text("out_interface") == "eth0" && bypass.text("note") == "open before the rules")
        let tamper = try f.rows("SELECT * FROM tamper_events")[0]
        #expect(tamper.text("drift") == "[\"nat OUTPUT: the jump is missing\"]" && tamper.int("restored") == 1)
    }

    @Test func idsStayUniqueWhenTheGatewayRestarts() throws {
        let f = try StoreFixture.make("rec-restart")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        try f.record(TestEvents.exchange(2, uri: "/api/v1/pods", chunks: [[UInt8]("{}")]))
        try f.record(.connectionRefused(RefusedConnection(time: TestEvents.time(1), peer: .v4(10, 0, 0, 7), peerPort: 1,
                                                          originalDestination: nil, originalPort: nil, caller: Caller(), reason: "x")))
        // A second gateway process numbers its connections and requests from 1 again.
        let writer = StoreWriter(database: f.database)
        defer { writer.close() }
        let second = try StoreRecorder(writer: writer)
        try second.record(TestEvents.opened(1), on: f.loop).wait()
        for event in TestEvents.exchange(2, uri: "/api/v1/pods", chunks: [[UInt8]("{}")]) { try second.record(event, on: f.loop).wait() }
        try second.record(.connectionRefused(RefusedConnection(time: TestEvents.time(1), peer: .v4(10, 0, 0, 7), peerPort: 1,
                                                               originalDestination: nil, originalPort: nil, caller: Caller(), reason: "y")),
                          on: f.loop).wait()
        #expect(try f.rows("SELECT id FROM connections ORDER BY seq").map { $0["id"] as Int64 } == [1, -1, 3, -2])
        #expect(try f.rows("SELECT id, connection_id FROM requests ORDER BY seq").map { [$0["id"] as Int64, $0["connection_id"] as Int64] }
                == [[2, 1], [4, 3]])
        #expect(try f.rows("SELECT request_id FROM responses ORDER BY seq").map { $0["request_id"] as Int64 } == [2, 4])
    }

    @Test func aHeldResponseRefusedForWantOfTheStoreIsRecordedWithTheRefusal() throws {
        let f = try StoreFixture.make("rec-withheld", writer: StoreWriterConfiguration(retryInterval: .milliseconds(50)))
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        let events = TestEvents.exchange(2, method: "DELETE", uri: "/api/v1/namespaces/demo/pods/web", chunks: [[UInt8]("{\"kind\":\"Pod\"}")])
        try f.record(Array(events.dropLast()))
        #expect(chmod(f.path, 0o400) == 0)
        // The proxy waits for the response's record; it fails, so it withholds the response.
        let failure = try #require(throws: StoreWriteError.self) { try f.record(events[events.count - 1]) }
        let status = Status.serviceUnavailable("portcullis: the API server answered, but its response could not be recorded")
        _ = f.recorder.record(.requestRejected(RequestID(2), time: TestEvents.time(6_000), status: status,
                                               reason: "the response could not be recorded: \(failure)"), on: f.loop)
        #expect(chmod(f.path, 0o600) == 0)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while clock.now < deadline, !(f.writer.statistics.isAvailable && f.writer.statistics.backlogDepth == 0) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        try f.writer.sync()
        let responses = try f.rows("SELECT * FROM responses")
        #expect(responses.count == 1)
        #expect(responses.first?.int("status_code") == 200 && responses.first?.int("rejected") == 0)
        #expect((responses.first?["reason"] as String?)?.hasPrefix("withheld from the client, which got 503") == true)
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }
}
