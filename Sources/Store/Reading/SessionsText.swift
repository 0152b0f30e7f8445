import Kube

/// `portcullis sessions` as a table and as JSON lines.
public enum SessionsText {
    public static let header = ["TIME", "ID", "KIND", "CALLER", "USER", "CLUSTER", "REQUESTS", "OUTCOME", "FIRST INTENT"]

    /// The table, one line per session, each line newline-terminated; just the header for none.
    /// Sessions read from the central store get a HOST column, and their IDs name the host.
    public static func table(_ sessions: [SessionSummary]) -> String {
        let hosts = sessions.contains { $0.host != nil }
        var table = TextTable(hosts ? ["TIME", "HOST"] + header.dropFirst() : header)
        for session in sessions {
            var cells = row(session)
            if hosts { cells.insert(session.host ?? "-", at: 1) }
            table.add(cells)
        }
        return table.lines().map { $0 + "\n" }.joined()
    }

    static func row(_ s: SessionSummary) -> [String] {
        let user: String
        switch s.usernames.count {
        case 0: user = "-"
        case 1: user = s.usernames[0]
        default: user = "\(s.usernames[0]) +\(s.usernames.count - 1)"
        }
        let requests = s.kind == .connection ? String(s.requestCount) : "-"
        let last: String
        switch s.kind {
        case .connection: last = s.firstIntent ?? s.reason ?? "-"
        case .refused: last = s.reason ?? "-"
        case .bypass: last = (s.detail ?? "-") + (s.reason.map { " (\($0))" } ?? "")
        }
        return [ReadingFormat.shortTime(s.time), s.reference.description, s.kind.rawValue, s.caller.shortText, user,
                s.cluster ?? "-", requests, s.outcomeText, last]
    }

    /// One JSON object for the session, without a newline.
    public static func jsonLine(_ s: SessionSummary) -> String {
        var w = GoJSONObjectWriter()
        w.string("id", s.reference.description)
        if let host = s.host { w.string("host", host) }
        w.string("kind", s.kind.rawValue)
        w.string("time", ReadingFormat.time(s.time))
        if let endedAt = s.endedAt { w.string("endedAt", ReadingFormat.time(endedAt)) }
        w.raw("caller", ReadingJSON.caller(s.caller))
        w.stringOmitEmpty("peer", s.peer)
        w.stringOmitEmpty("destination", s.destination)
        w.stringOmitEmpty("cluster", s.cluster)
        if s.kind == .connection {
            w.stringArray("users", s.usernames)
            w.int("requests", Int64(s.requestCount))
            w.object("outcomes") { o in
                for outcome in RequestOutcome.allCases { if let n = s.outcomes[outcome] { o.int(outcome.rawValue, Int64(n)) } }
            }
            w.stringOmitEmpty("firstIntent", s.firstIntent)
        }
        w.string("outcome", s.outcomeText)
        w.stringOmitEmpty(s.kind == .bypass ? "note" : "reason", s.reason)
        w.stringOmitEmpty("detail", s.detail)
        return w.finishedText
    }
}
