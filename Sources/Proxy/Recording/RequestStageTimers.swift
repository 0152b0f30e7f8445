import CoreMetrics
import NIOCore

/// One swift-metrics timer per ``RequestStage``, made once (no lookup per request). Recording is
/// a subtraction and one histogram observation on the calling event loop.
public final class RequestStageTimers: Sendable {
    private let timers: [CoreMetrics.Timer]

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        timers = RequestStage.allCases.map {
            CoreMetrics.Timer(label: RequestStage.metricName, dimensions: [("stage", $0.rawValue)], factory: factory)
        }
    }

    /// Records how long `stage` took, from `start` to now.
    func record(_ stage: RequestStage, since start: NIODeadline) {
        let index = RequestStage.allCases.firstIndex(of: stage) ?? 0
        timers[index].recordNanoseconds((NIODeadline.now() - start).nanoseconds)
    }
}
