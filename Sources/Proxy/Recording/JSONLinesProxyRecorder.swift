import Intercept
import NIOCore

/// Writes events as JSON lines (body and stream bytes counted, not written) and succeeds at once:
/// a log beside the record, with no durability of its own.
///
/// Invariant: with `requests` off (the gateway's default), only events worth a line in a log are
/// written: connections opened, refused and closed, refusals, review verdicts and grants. Each
/// request's own events (received, response started and completed, stream data) are left to the
/// store, which records them all; writing them too would cost a line, and a hand-off to the
/// writer's thread, per request.
public final class JSONLinesProxyRecorder: ProxyRecorder {
    private let writer: JSONLineWriter
    private let requests: Bool
    private let next: (any ProxyRecorder)?

    public init(writer: JSONLineWriter = JSONLineWriter(), requests: Bool = true, next: (any ProxyRecorder)? = nil) {
        self.writer = writer
        self.requests = requests
        self.next = next
    }

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        if writes(event) { writer.write(event.jsonBytes()) }
        return next?.record(event, on: eventLoop) ?? eventLoop.makeSucceededVoidFuture()
    }

    func writes(_ event: ProxyEvent) -> Bool {
        switch event {
        case .responseBody: false
        case .requestReceived, .responseStarted, .responseCompleted, .streamData: requests
        default: true
        }
    }
}
