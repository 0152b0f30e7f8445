import Synchronization

/// Keeps every event in memory, in order. For tests, and for running before the Store exists.
public final class InMemoryInterceptRecorder: InterceptRecorder {
    private let storage = Mutex<[InterceptEvent]>([])

    public init() {}

    public func record(_ event: InterceptEvent) {
        storage.withLock { $0.append(event) }
    }

    public var events: [InterceptEvent] { storage.withLock { $0 } }
}
