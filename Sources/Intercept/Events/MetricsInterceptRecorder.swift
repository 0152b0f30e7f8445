import CoreMetrics

/// Passes every event on to `next`, and counts them: `portcullis_bypass_attempts_total`,
/// `portcullis_refused_connections_total`, `portcullis_tamper_events_total`.
public final class MetricsInterceptRecorder: InterceptRecorder {
    private let next: any InterceptRecorder
    private let bypasses: Counter
    private let refusals: Counter
    private let tampering: Counter

    public init(next: any InterceptRecorder, factory: any MetricsFactory = MetricsSystem.factory) {
        self.next = next
        bypasses = Counter(label: "portcullis_bypass_attempts_total", factory: factory)
        refusals = Counter(label: "portcullis_refused_connections_total", factory: factory)
        tampering = Counter(label: "portcullis_tamper_events_total", factory: factory)
    }

    public func record(_ event: InterceptEvent) {
        switch event {
        case .bypassAttempt: bypasses.increment()
        case .refusedConnection: refusals.increment()
        case .tamper: tampering.increment()
        }
        next.record(event)
    }
}
