import Intercept
import NIOCore

/// Writes each event as a JSON line (body and stream bytes counted, not written) and succeeds at
/// once. Used until the Store records durably; it gives no durability of its own.
public final class JSONLinesProxyRecorder: ProxyRecorder {
    private let writer: JSONLineWriter
    private let next: (any ProxyRecorder)?

    public init(writer: JSONLineWriter = JSONLineWriter(), next: (any ProxyRecorder)? = nil) {
        self.writer = writer
        self.next = next
    }

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        if case .responseBody = event {} else { writer.write(event.jsonBytes()) }
        return next?.record(event, on: eventLoop) ?? eventLoop.makeSucceededVoidFuture()
    }
}
