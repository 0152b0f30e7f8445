import Kube
import Proxy
import Store
import Testing

/// What the recorder holds per request must go when the request's connection does, whatever
/// arrives afterwards: the soak found the gateway's RSS growing with every watch that came and went.
@Suite struct StoreRecorderMemoryTests {
    @Test("a watch's events after its client left are not held")
    func eventsAfterTheConnectionClosed() throws {
        let f = try StoreFixture.make("memory-watch")
        defer { f.close() }
        for n in UInt64(1)...50 {
            let request = 1_000 + n
            try f.record(TestEvents.opened(n))
            try f.record(.requestReceived(TestEvents.request(request, connection: n, uri: "/api/v1/namespaces/demo/configmaps?watch=true")))
            try f.record(.responseStarted(RequestID(request), time: TestEvents.time(100), status: 200, headers: [("Content-Type", "application/json")]))
            try f.record(.responseBody(RequestID(request), bytes: Array(#"{"type":"ADDED","object":{"kind":"ConfigMap"}}"#.utf8) + [10]))
            try f.record(.connectionClosed(ConnectionID(n), time: TestEvents.time(200)))
            // The upstream, not yet closed, still sends; then its end is seen.
            try f.record(.responseBody(RequestID(request), bytes: Array(#"{"type":"MODIFIED","object":{"kind":"ConfigMap"}}"#.utf8) + [10]))
            try f.record(.streamData(RequestID(request), time: TestEvents.time(300), direction: .upstreamToClient, bytes: [1, 2]))
        }
        #expect(f.recorder.requestsHeld == 0)
    }

    @Test("keep-alive requests that ended are not held")
    func endedRequestsOnOneConnection() throws {
        let f = try StoreFixture.make("memory-keepalive")
        defer { f.close() }
        try f.record(TestEvents.opened(1))
        for n in UInt64(1)...100 {
            try f.record(.requestReceived(TestEvents.request(n, connection: 1, uri: "/api/v1/namespaces/demo/pods")))
            try f.record(.responseStarted(RequestID(n), time: TestEvents.time(100), status: 200, headers: []))
            try f.record(.responseCompleted(RequestID(n), time: TestEvents.time(101), bytes: 0))
        }
        #expect(f.recorder.requestsHeld <= 1)
        try f.record(.connectionClosed(ConnectionID(1), time: TestEvents.time(200)))
        #expect(f.recorder.requestsHeld == 0)
    }
}
