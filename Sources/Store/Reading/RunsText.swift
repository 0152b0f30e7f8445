import Kube

/// `portcullis sessions` (runs by default) as a table and as JSON lines.
public enum RunsText {
    public static let header = ["TIME", "ID", "KIND", "DURATION", "CALLER", "USER", "RUN CLAIMS", "REQUESTS", "OUTCOMES"]

    /// The table, one line per entry, each newline-terminated; just the header for none. Entries
    /// read from the central store get a HOST column.
    public static func table(_ entries: [SessionEntry]) -> String {
        let hosts = entries.contains { $0.host != nil }
        var table = TextTable(hosts ? ["TIME", "HOST"] + header.dropFirst() : header)
        for entry in entries {
            var cells = row(entry)
            if hosts { cells.insert(entry.host ?? "-", at: 1) }
            table.add(cells)
        }
        return table.lines().map { $0 + "\n" }.joined()
    }

    static func row(_ entry: SessionEntry) -> [String] {
        switch entry {
        case .run(let r):
            return [ReadingFormat.shortTime(r.run.startedAt), r.run.reference.description, "run", ReadingFormat.duration(r.duration),
                    r.run.callerText, r.run.username, r.run.claimsText, String(r.requestCount), r.outcomeText]
        case .session(let s):
            let user = s.usernames.isEmpty ? "-" : s.usernames[0] + (s.usernames.count > 1 ? " +\(s.usernames.count - 1)" : "")
            let duration = s.endedAt.map { ReadingFormat.duration($0 - s.time) } ?? "-"
            var outcome = s.kind == .connection ? s.outcomeText : s.kind.rawValue
            switch s.kind {
            case .connection: if let reason = s.reason { outcome += ": " + reason }
            case .refused: outcome += ": " + (s.reason ?? "no reason recorded")
            case .bypass: outcome += ": " + (s.detail ?? "-") + (s.reason.map { " (\($0))" } ?? "")
            }
            return [ReadingFormat.shortTime(s.time), s.reference.description, s.kind.rawValue, duration, s.caller.shortText, user, "-",
                    s.kind == .connection ? String(s.requestCount) : "-", outcome]
        }
    }

    /// One JSON object for the entry, without a newline.
    public static func jsonLine(_ entry: SessionEntry) -> String {
        switch entry {
        case .run(let r): return String(decoding: runJSON(r), as: UTF8.self)
        case .session(let s): return SessionsText.jsonLine(s)
        }
    }

    public static func runJSON(_ r: RunSummary) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("id", r.run.reference.description)
        if let host = r.host { w.string("host", host) }
        w.string("kind", "run")
        run(r.run, into: &w)
        w.string("lastActivityAt", ReadingFormat.time(r.lastActivityAt))
        w.int("durationMicroseconds", r.duration)
        w.int("requests", Int64(r.requestCount))
        w.object("outcomes") { o in
            for outcome in RequestOutcome.allCases { if let n = r.outcomes[outcome] { o.int(outcome.rawValue, Int64(n)) } }
        }
        w.int("connections", Int64(r.connectionCount))
        w.stringArray("clusters", r.clusters)
        return w.finish()
    }

    /// The run's own fields (time, caller, identity, token fingerprint, claims).
    static func run(_ run: RunRecord, into w: inout GoJSONObjectWriter) {
        w.string("time", ReadingFormat.time(run.startedAt))
        w.raw("caller", ReadingJSON.caller(run.caller))
        w.stringOmitEmpty("callerAddress", run.callerAddress)
        w.object("user") { u in
            u.string("username", run.username)
            u.stringArray("groups", run.groups)
            u.stringOmitEmpty("issuer", run.issuer)
            u.stringOmitEmpty("subject", run.subject)
        }
        w.string("tokenFingerprint", run.tokenFingerprint)
        w.object("claims") { c in
            for name in run.claims.keys.sorted() { c.string(name, run.claims[name] ?? "") }
        }
    }
}
