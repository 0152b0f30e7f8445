/// Writes each event as one JSON line (see ``JSONLineWriter``). Used until the Store records events.
public final class JSONLinesInterceptRecorder: InterceptRecorder {
    private let writer: JSONLineWriter
    private let next: (any InterceptRecorder)?

    /// - Parameter next: another recorder that also gets every event (e.g. an in-memory one).
    public init(writer: JSONLineWriter = JSONLineWriter(), next: (any InterceptRecorder)? = nil) {
        self.writer = writer
        self.next = next
    }

    public func record(_ event: InterceptEvent) {
        next?.record(event)
        writer.write(event.jsonBytes())
    }

    /// Waits until every event recorded so far is written.
    public func flush() { writer.flush() }
}
