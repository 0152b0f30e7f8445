import Dispatch

/// The repeating summary timer on the reporter's queue. Dispatch sources are thread-safe; this
/// wrapper only lets a Sendable type hold one.
final class SummaryTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer

    init(queue: DispatchQueue, intervalNanoseconds: UInt64) {
        let interval = DispatchTimeInterval.nanoseconds(Int(clamping: intervalNanoseconds))
        source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(deadline: .now() + interval, repeating: interval)
    }

    func start(_ handler: @escaping @Sendable () -> Void) {
        source.setEventHandler(handler: handler)
        source.resume()
    }

    /// Idempotent.
    func cancel() {
        source.cancel()
    }
}
