import Kube
import NIOCore

/// Streams a watch: each event one JSON object and a newline, flushed on its own, until the
/// timeout or the client leaves. Tables carry their column definitions in the first event only.
final class WatchStream: ResponseStream {
    private let plan: WatchPlan
    private let store: ObjectStore
    private let writer: ResponseWriter
    private var registration: WatchRegistration?
    private var timeout: Scheduled<Void>?
    private var sentColumns = false
    private var ended: ((Bool) -> Void)?

    init(plan: WatchPlan, store: ObjectStore, writer: ResponseWriter) {
        self.plan = plan
        self.store = store
        self.writer = writer
    }

    func start(ended: @escaping (Bool) -> Void) {
        self.ended = ended
        writer.beginStream(contentType: "application/json")
        let bound = NIOLoopBound(self, eventLoop: writer.eventLoop)
        do {
            registration = try store.watch(plan.type, filter: plan.filter, from: plan.resourceVersion) { event in
                bound.eventLoop.execute { bound.value.send(event) }
            }
        } catch {
            writer.writeChunk(Self.errorEvent(error))
            return finish(closedEarly: false)
        }
        if let seconds = plan.timeoutSeconds, seconds > 0 {
            timeout = writer.eventLoop.scheduleTask(in: .seconds(seconds)) { bound.value.finish(closedEarly: false) }
        }
    }

    private func send(_ event: WatchEvent) {
        guard ended != nil else { return }
        var object = event.object
        if plan.asTable {
            object = TableRenderer.table(plan.type, objects: [event.object],
                                         resourceVersion: String(event.resourceVersion), withColumns: !sentColumns,
                                         now: SandboxClock.now())
            sentColumns = true
        }
        var w = GoJSONObjectWriter()
        w.string("type", event.type.rawValue)
        w.value("object", object)
        writer.writeChunk(w.finish() + [UInt8(ascii: "\n")])
    }

    static func errorEvent(_ status: Status) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("type", "ERROR")
        w.raw("object", Array(status.jsonBytes().dropLast()))
        return w.finish() + [UInt8(ascii: "\n")]
    }

    private func finish(closedEarly: Bool) {
        guard let ended else { return }
        self.ended = nil
        registration?.cancel()
        timeout?.cancel()
        if !closedEarly { writer.end() }
        ended(closedEarly)
    }

    func connectionClosed() {
        finish(closedEarly: true)
    }
}
