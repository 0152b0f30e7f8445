import Intercept
import Kube
import MetricsTestKit
import NIOEmbedded
@testable import Proxy
import Testing

/// Requests are counted once, when they end, by verb, outcome and cluster; streams and connections
/// are gauged; events still reach the next recorder.
@Suite struct MetricsProxyRecorderTests {
    static func received(_ id: UInt64, _ method: String, _ uri: String, decision: PolicyDecision? = nil) throws -> ProxyEvent {
        let info = try RequestInfoResolver.resolve(method: method, target: uri)
        var record = RequestRecord(id: RequestID(id), connection: ConnectionID(1), time: KubeTime(seconds: 10), method: method, uri: uri,
                                   info: info, intent: "", auditID: "a", userAgent: "", identity: nil, headers: [], body: [],
                                   bodyTruncated: false)
        record.decision = decision
        return .requestReceived(record)
    }

    @Test func requestsAreCountedByVerbOutcomeAndCluster() throws {
        let metrics = TestMetrics()
        let next = InMemoryProxyRecorder()
        let recorder = MetricsProxyRecorder(next: next, factory: metrics)
        let loop = EmbeddedEventLoop()
        let forbidden = Status(message: "no", reason: "Forbidden", code: 403)
        let events: [ProxyEvent] = [
            .connectionOpened(ConnectionOpened(id: ConnectionID(1), time: KubeTime(seconds: 9), peer: "p", originalDestination: "d",
                                               cluster: "prod", caller: Caller(uid: 1000))),
            try Self.received(1, "GET", "/api/v1/namespaces/demo/pods"),
            .responseStarted(RequestID(1), time: KubeTime(seconds: 11), status: 200, headers: []),
            .responseCompleted(RequestID(1), time: KubeTime(seconds: 12), bytes: 10),
            try Self.received(2, "DELETE", "/api/v1/namespaces/prod", decision: PolicyDecision(effect: .deny, source: .rule("r"), reason: nil)),
            .requestRejected(RequestID(2), time: KubeTime(seconds: 12), status: forbidden, reason: "denied"),
            try Self.received(3, "DELETE", "/api/v1/namespaces/demo/pods/a", decision: PolicyDecision(effect: .review, source: .rule("r"), reason: nil)),
            .reviewDecided(RequestID(3), time: KubeTime(seconds: 13), verdict: .timedOut),
            .requestRejected(RequestID(3), time: KubeTime(seconds: 13), status: forbidden, reason: "timed out"),
            try Self.received(4, "GET", "/api/v1/namespaces/demo/pods?watch=true"),
            .responseStarted(RequestID(4), time: KubeTime(seconds: 14), status: 200, headers: []),
        ]
        for event in events { try recorder.record(event, on: loop).wait() }
        #expect(next.events.count == events.count)
        func count(_ verb: String, _ outcome: String) throws -> Int64 {
            try metrics.expectCounter("portcullis_requests_total", [("verb", verb), ("outcome", outcome), ("cluster", "prod")]).totalValue
        }
        #expect(try count("list", "allowed") == 1)
        #expect(try count("delete", "denied") == 2, "a policy denial and a review that timed out")
        #expect(try metrics.expectGauge("portcullis_streams_active").lastValue == 1)
        #expect(try metrics.expectGauge("portcullis_connections_active").lastValue == 1)
        _ = try recorder.record(.connectionClosed(ConnectionID(1), time: KubeTime(seconds: 20)), on: loop).wait()
        #expect(try metrics.expectGauge("portcullis_streams_active").lastValue == 0)
        #expect(try metrics.expectGauge("portcullis_connections_active").lastValue == 0)
        #expect(try metrics.expectTimer("portcullis_request_duration_seconds", [("verb", "list")]).values.first == 2_000_000_000)
    }

    /// The soak found the gateway's RSS growing with each request on a keep-alive connection.
    @Test("a keep-alive connection's finished requests are not kept")
    func finishedRequestsAreNotKept() throws {
        let recorder = MetricsProxyRecorder(next: InMemoryProxyRecorder(), factory: TestMetrics())
        let loop = EmbeddedEventLoop()
        _ = try recorder.record(.connectionOpened(ConnectionOpened(id: ConnectionID(1), time: KubeTime(seconds: 9), peer: "p",
                                                                   originalDestination: "d", cluster: "prod", caller: Caller(uid: 1000))),
                                on: loop).wait()
        for id in UInt64(1)...1_000 {
            _ = try recorder.record(try Self.received(id, "GET", "/api/v1/namespaces/demo/pods"), on: loop).wait()
            _ = try recorder.record(.responseCompleted(RequestID(id), time: KubeTime(seconds: 12), bytes: 10), on: loop).wait()
        }
        #expect(recorder.trackedRequests <= 1)
        _ = try recorder.record(try Self.received(1_001, "GET", "/api/v1/namespaces/demo/pods?watch=true"), on: loop).wait()
        _ = try recorder.record(.responseStarted(RequestID(1_001), time: KubeTime(seconds: 14), status: 200, headers: []), on: loop).wait()
        #expect(recorder.trackedRequests == 1, "an open stream is kept, to end with its connection")
    }
}
