import Kube
import NIOCore

/// The synthetic container log: line 0 at the pod's creation, then one line per interval.
enum LogLines {
    static func line(_ n: Int64, plan: LogPlan, interval: TimeAmount) -> String {
        let text = "line \(n) from \(plan.namespace)/\(plan.pod)/\(plan.container)\n"
        guard plan.timestamps else { return text }
        return time(of: n, plan: plan, interval: interval).rfc3339Micro + " " + text
    }

    static func time(of n: Int64, plan: LogPlan, interval: TimeAmount) -> KubeTime {
        KubeTime(microseconds: plan.createdAt.microseconds + n * max(1, interval.nanoseconds / 1000))
    }

    /// The number of the last line written by `now`.
    static func lastLine(plan: LogPlan, interval: TimeAmount, until now: KubeTime) -> Int64 {
        max(0, (now.microseconds - plan.createdAt.microseconds) / max(1, interval.nanoseconds / 1000))
    }

    /// The lines written by `now`, honouring `tailLines`.
    static func render(_ plan: LogPlan, interval: TimeAmount, until now: KubeTime) -> String {
        let last = lastLine(plan: plan, interval: interval, until: now)
        var first: Int64 = 0
        if let tail = plan.tailLines { first = max(0, last - Int64(tail) + 1) }
        guard plan.tailLines != 0 else { return "" }
        return (first...last).map { line($0, plan: plan, interval: interval) }.joined()
    }
}
