import Kube

/// `portcullis tail` lines: text (one line per decision) and JSON.
public enum TailText {
    /// `2026-01-01T12:00:00.123456Z  run3  docker:4f3a2b1c9d8e uid 64991  oidc:agent-7  delete pod web-1 in demo  deny  403: …`
    public static func line(_ e: TailEntry) -> String {
        var parts = [ReadingFormat.time(e.time), e.runID.map { RecordReference.run($0).description } ?? e.reference.description,
                     e.caller.shortText, e.username ?? "-", e.intent, e.decision]
        var result = e.status.map(String.init) ?? e.outcome ?? "-"
        if let reason = e.reason { result += ": " + reason }
        parts.append(result)
        return parts.joined(separator: "  ")
    }

    public static func json(_ e: TailEntry) -> String {
        var w = GoJSONObjectWriter()
        w.string("time", ReadingFormat.time(e.time))
        w.int("seq", e.seq)
        w.string("kind", e.kind.rawValue)
        w.string("id", e.reference.description)
        if let run = e.runID { w.string("run", RecordReference.run(run).description) }
        w.raw("caller", ReadingJSON.caller(e.caller))
        w.stringOmitEmpty("user", e.username)
        w.string("intent", e.intent)
        w.string("decision", e.decision)
        w.stringOmitEmpty("outcome", e.outcome)
        if let status = e.status { w.int("status", Int64(status)) }
        w.stringOmitEmpty("reason", e.reason)
        return w.finishedText
    }
}
