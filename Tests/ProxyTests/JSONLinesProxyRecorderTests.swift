import Foundation
import Intercept
import Kube
import NIOEmbedded
@testable import Proxy
import Testing

/// The event lines on standard output: by default the log's events (connections, refusals), not a
/// line per request; with `requests` on, every request's events too. Either way every event still
/// reaches the record.
@Suite struct JSONLinesProxyRecorderTests {
    static func events() throws -> [ProxyEvent] {
        [
            .connectionOpened(ConnectionOpened(id: ConnectionID(1), time: KubeTime(seconds: 9), peer: "p", originalDestination: "d",
                                               cluster: "prod", caller: Caller(uid: 1000))),
            try MetricsProxyRecorderTests.received(1, "GET", "/api/v1/namespaces/demo/pods"),
            .responseStarted(RequestID(1), time: KubeTime(seconds: 11), status: 200, headers: []),
            .responseBody(RequestID(1), bytes: Array("{}".utf8)),
            .responseCompleted(RequestID(1), time: KubeTime(seconds: 12), bytes: 2),
            .streamData(RequestID(1), time: KubeTime(seconds: 12), direction: .upstreamToClient, bytes: [1]),
            try MetricsProxyRecorderTests.received(2, "DELETE", "/api/v1/namespaces/prod"),
            .requestRejected(RequestID(2), time: KubeTime(seconds: 12), status: Status(message: "no", reason: "Forbidden", code: 403),
                             reason: "denied"),
            .connectionClosed(ConnectionID(1), time: KubeTime(seconds: 13)),
        ]
    }

    /// The `event` of each line the recorder wrote, and how many events reached the next recorder.
    static func lines(requests: Bool) throws -> (events: [String], recorded: Int) {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let writer = JSONLineWriter(fileDescriptor: fds[1])
        let next = InMemoryProxyRecorder()
        let recorder = JSONLinesProxyRecorder(writer: writer, requests: requests, next: next)
        let loop = EmbeddedEventLoop()
        for event in try events() { try recorder.record(event, on: loop).wait() }
        writer.flush()
        close(fds[1])
        let text = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let names = try text.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8))["event"]?.stringValue ?? "?" }
        return (names, next.events.count)
    }

    @Test func byDefaultOnlyTheLogsEventsAreWritten() throws {
        let (events, recorded) = try Self.lines(requests: false)
        #expect(events == ["connection_opened", "request_rejected", "connection_closed"])
        #expect(recorded == 9)
    }

    @Test func withRequestsEveryRequestsEventsAreWrittenToo() throws {
        let (events, recorded) = try Self.lines(requests: true)
        #expect(events == ["connection_opened", "request", "response_started", "response_completed", "stream_data", "request",
                           "request_rejected", "connection_closed"])
        #expect(recorded == 9)
    }
}
