import Kube
import NIOCore

/// Follows a container log: writes the lines so far, then each new line when it is due, until
/// the pod is deleted or the client leaves.
final class LogStream: ResponseStream {
    private let plan: LogPlan
    private let store: ObjectStore
    private let interval: TimeAmount
    private let writer: ResponseWriter
    private var nextLine: Int64 = 0
    private var scheduled: Scheduled<Void>?
    private var ended: ((Bool) -> Void)?

    init(plan: LogPlan, store: ObjectStore, interval: TimeAmount, writer: ResponseWriter) {
        self.plan = plan
        self.store = store
        self.interval = interval
        self.writer = writer
    }

    func start(ended: @escaping (Bool) -> Void) {
        self.ended = ended
        writer.beginStream(contentType: "text/plain")
        let now = SandboxClock.now()
        let initial = LogLines.render(plan, interval: interval, until: now)
        if !initial.isEmpty { writer.writeChunk(Array(initial.utf8)) }
        nextLine = LogLines.lastLine(plan: plan, interval: interval, until: now) + 1
        scheduleNext()
    }

    private func scheduleNext() {
        let due = LogLines.time(of: nextLine, plan: plan, interval: interval)
        let delay = max(0, due.microseconds - SandboxClock.now().microseconds)
        let bound = NIOLoopBound(self, eventLoop: writer.eventLoop)
        scheduled = writer.eventLoop.scheduleTask(in: .microseconds(delay)) { bound.value.tick() }
    }

    private func tick() {
        guard ended != nil else { return }
        guard podStillExists() else { return finish(closedEarly: false) }
        writer.writeChunk(Array(LogLines.line(nextLine, plan: plan, interval: interval).utf8))
        nextLine += 1
        scheduleNext()
    }

    private func podStillExists() -> Bool {
        guard let podType = ResourceCatalog.find(group: "", version: "v1", resource: "pods"),
              let pod = store.get(podType, namespace: plan.namespace, name: plan.pod) else { return false }
        return pod[path: "metadata", "uid"]?.stringValue == plan.podUID
    }

    private func finish(closedEarly: Bool) {
        guard let ended else { return }
        self.ended = nil
        scheduled?.cancel()
        if !closedEarly { writer.end() }
        ended(closedEarly)
    }

    func connectionClosed() {
        finish(closedEarly: true)
    }
}
