/// What a run changed: its mutations the API server accepted, in order, and apart from them those
/// that were denied by policy, rejected by the gateway, failed at the API server or never answered.
/// Dry runs change nothing and are left out.
public struct RunChanges: Sendable, Hashable {
    public var run: RunRecord
    public var accepted: [RecordedChange]
    public var refused: [RecordedChange]

    public init(run: RunRecord, accepted: [RecordedChange], refused: [RecordedChange]) {
        self.run = run
        self.accepted = accepted
        self.refused = refused
    }

    /// `2 created, 1 patched, 1 deleted; 1 denied`, or `none`.
    public var countText: String {
        func counts(_ labels: [String]) -> String {
            var order: [String] = []
            var n: [String: Int] = [:]
            for label in labels {
                if n[label] == nil { order.append(label) }
                n[label, default: 0] += 1
            }
            return order.map { "\(n[$0] ?? 0) \($0)" }.joined(separator: ", ")
        }
        let done = counts(accepted.map(\.action))
        let notDone = counts(refused.map { $0.outcome == .allowed ? "failed" : $0.outcome.rawValue })
        switch (done.isEmpty, notDone.isEmpty) {
        case (true, true): return "none"
        case (false, true): return done
        case (true, false): return "none made; " + notDone
        case (false, false): return done + "; " + notDone
        }
    }
}
