import NIOCore
import Synchronization

/// Keeps every event in memory, in order; every record succeeds at once. For tests.
public final class InMemoryProxyRecorder: ProxyRecorder {
    private let storage = Mutex<[ProxyEvent]>([])

    public init() {}

    public func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        storage.withLock { $0.append(event) }
        return eventLoop.makeSucceededVoidFuture()
    }

    public var events: [ProxyEvent] { storage.withLock { $0 } }
}
