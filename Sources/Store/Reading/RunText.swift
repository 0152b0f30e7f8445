import Kube

/// `portcullis show RUN` as text: the run's header (caller, identity, claims, clients, one line
/// counting what it changed), then its commands, each kubectl invocation folded into one line
/// (``CommandFolding``); with `requests`, each command's requests under it.
public enum RunText {
    public static let commandHeader = ["TIME", "REQUESTS", "N", "STATUS", "OUTCOME", "COMMAND"]
    /// Connections named in the header before "… (N in all)"; `--json` lists them all.
    static let listedConnections = 12

    public static func run(_ t: RunTimeline, changes: RunChanges?, requests: Bool, bodies: Bool) -> String {
        var lines = header(t, changes: changes)
        let commands = t.commands
        if !commands.isEmpty {
            lines.append("")
            var table = TextTable(commandHeader)
            for command in commands {
                table.add([ReadingFormat.time(command.startedAt), command.idText, String(command.requests.count),
                           command.status.map(String.init) ?? "-", command.outcome.rawValue, command.text])
            }
            let rows = table.lines()
            lines.append(rows[0])
            for (command, row) in zip(commands, rows.dropFirst()) {
                lines.append(row)
                guard requests else { continue }
                var inner = TextTable(TimelineText.requestHeader)
                for r in command.requests { inner.add(TimelineText.requestRow(r)) }
                for (r, line) in zip(command.requests, inner.lines().dropFirst()) {
                    lines.append("    " + line)
                    lines += TimelineText.details(r, bodies: bodies).map { "        " + $0 }
                }
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    static func header(_ t: RunTimeline, changes: RunChanges?) -> [String] {
        let s = t.summary, run = t.run
        var lines = ["run \(run.reference): \(run.username), started \(ReadingFormat.time(run.startedAt)), last active "
                     + "\(ReadingFormat.time(s.lastActivityAt)) (\(ReadingFormat.duration(s.duration)))"]
        lines.append(TimelineText.field("caller", run.callerText))
        lines += TimelineText.placeFields(run.caller)
        lines.append(TimelineText.field("user", userText(run)))
        if !run.claims.isEmpty { lines.append(TimelineText.field("claims", run.claimsText)) }
        lines.append(TimelineText.field("token", "sha256 \(run.tokenFingerprint)… (its fingerprint)"))
        for agent in t.userAgents { lines.append(TimelineText.field("client", agent)) }
        if !s.clusters.isEmpty { lines.append(TimelineText.field("clusters", s.clusters.joined(separator: ", "))) }
        var connections = t.connections.prefix(listedConnections).map(\.reference.description).joined(separator: ", ")
        if t.connections.count > listedConnections { connections += ", … (\(t.connections.count) in all)" }
        lines.append(TimelineText.field("connections", connections))
        lines.append(TimelineText.field("requests", "\(s.requestCount) (\(s.outcomeText))"))
        if let changes { lines.append(TimelineText.field("changes", changes.countText)) }
        return lines
    }

    static func userText(_ run: RunRecord) -> String {
        var facts: [String] = []
        if !run.groups.isEmpty { facts.append("groups " + run.groups.joined(separator: ", ")) }
        if !run.issuer.isEmpty { facts.append("issuer \(run.issuer)") }
        if !run.subject.isEmpty { facts.append("subject \(run.subject)") }
        return run.username + (facts.isEmpty ? "" : " (" + facts.joined(separator: "; ") + ")")
    }

    /// The run as one JSON object: its summary, its commands with their requests, and its changes' counts.
    public static func json(_ t: RunTimeline, changes: RunChanges?, bodies: Bool) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("id", t.run.reference.description)
        if let host = t.summary.host { w.string("host", host) }
        w.string("kind", "run")
        RunsText.run(t.run, into: &w)
        w.string("lastActivityAt", ReadingFormat.time(t.summary.lastActivityAt))
        w.int("durationMicroseconds", t.summary.duration)
        w.stringArray("userAgents", t.userAgents)
        w.stringArray("connections", t.connections.map(\.reference.description))
        w.object("outcomes") { o in
            for outcome in RequestOutcome.allCases { if let n = t.summary.outcomes[outcome] { o.int(outcome.rawValue, Int64(n)) } }
        }
        if let changes { w.string("changes", changes.countText) }
        w.objectArray("commands", t.commands) { command, c in
            c.string("time", ReadingFormat.time(command.startedAt))
            c.string("command", command.text)
            if let status = command.status { c.int("status", Int64(status)) }
            c.string("outcome", command.outcome.rawValue)
            c.objectArray("requests", command.requests) { r, o in ReadingJSON.request(r, bodies: bodies, into: &o) }
        }
        return w.finish()
    }
}
