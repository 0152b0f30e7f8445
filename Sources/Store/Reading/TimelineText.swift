import Kube

/// `portcullis show` as text: a session's header and its requests, a guard event, or one
/// request with its stream events.
public enum TimelineText {
    public static let requestHeader = ["TIME", "ID", "STATUS", "LATENCY", "OUTCOME", "DECISION", "USER", "INTENT"]
    public static let eventHeader = ["TIME", "DIR", "CHANNEL", "BYTES", "DATA"]

    public static func session(_ t: SessionTimeline, bodies: Bool) -> String {
        let c = t.connection
        var lines = ["session \(c.reference): \(c.isRefused ? "refused connection" : "connection") \(span(c.openedAt, c.closedAt))"]
        lines += connectionFields(c)
        var identities: [RecordedIdentity] = []
        for identity in t.requests.compactMap(\.identity) where !identities.contains(identity) { identities.append(identity) }
        for identity in identities { lines.append(field("identity", identityText(identity))) }
        if !c.isRefused {
            var counts: [RequestOutcome: Int] = [:]
            for r in t.requests { counts[r.outcome, default: 0] += 1 }
            let breakdown = RequestOutcome.allCases.compactMap { o in counts[o].map { "\($0) \(o.rawValue)" } }.joined(separator: ", ")
            lines.append(field("requests", "\(t.requests.count)" + (breakdown.isEmpty ? "" : " (\(breakdown))")))
        }
        if !t.requests.isEmpty {
            lines.append("")
            var table = TextTable(requestHeader)
            for r in t.requests { table.add(requestRow(r)) }
            let rows = table.lines()
            lines.append(rows[0])
            for (r, row) in zip(t.requests, rows.dropFirst()) {
                lines.append(row)
                lines += details(r, bodies: bodies).map { "    " + $0 }
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    public static func guardEvent(_ g: GuardEventRecord) -> String {
        var lines = ["guard event \(g.reference): bypass attempt at \(ReadingFormat.time(g.at))"]
        var packet = g.summary
        let interfaces = [g.inInterface.map { "in \($0)" }, g.outInterface.map { "out \($0)" }].compactMap { $0 }
        if !interfaces.isEmpty { packet += " (\(interfaces.joined(separator: ", ")))" }
        lines.append(field("packet", packet))
        lines.append(field("caller", g.caller.longText))
        lines += placeFields(g.caller)
        if let note = g.note { lines.append(field("note", note)) }
        return lines.map { $0 + "\n" }.joined()
    }

    /// One request in full, then its stream events.
    public static func request(_ r: RecordedRequest, connection: ConnectionRecord?, events: [StreamEventRecord], bodies: Bool) -> String {
        var lines = ["request \(r.reference): \(r.intent)"]
        var session = RecordReference.connection(r.connectionID).description
        if let connection {
            session += " (\(connection.caller.shortText)" + (connection.cluster.map { ", cluster \($0)" } ?? "") + ")"
        }
        lines.append(field("session", session))
        lines.append(field("received", ReadingFormat.time(r.receivedAt)))
        lines.append(field("request", "\(r.method) \(r.uri)"))
        lines.append(field("user", r.identity.map(identityText) ?? "none (not authenticated)"))
        if !r.userAgent.isEmpty { lines.append(field("user agent", r.userAgent)) }
        lines.append(field("audit ID", r.auditID))
        lines.append(field("decision", decisionText(r) ?? "-"))
        lines.append(field("outcome", r.outcome.rawValue))
        if let response = r.response {
            var text = "\(response.statusCode)"
            if let latency = r.latency { text += " after \(ReadingFormat.duration(latency))" }
            text += ", ended \(ReadingFormat.time(response.completedAt))"
            if let duration = r.duration, r.isLongRunning { text += " (\(ReadingFormat.duration(duration)))" }
            text += ", \(ReadingFormat.size(response.bytes)) to the client"
            lines.append(field("response", text))
        }
        lines += details(r, bodies: bodies).map { "  " + $0 }
        if !events.isEmpty {
            lines.append("")
            var table = TextTable(eventHeader)
            for e in events {
                table.add([ReadingFormat.time(e.at), e.direction.arrow, e.channel, String(e.data.count), eventText(e, full: bodies)])
            }
            lines += table.lines()
        }
        return lines.map { $0 + "\n" }.joined()
    }

    // MARK: - Pieces

    static func requestRow(_ r: RecordedRequest) -> [String] {
        [ReadingFormat.time(r.receivedAt), r.reference.description, r.response.map { String($0.statusCode) } ?? "-",
         r.latency.map(ReadingFormat.duration) ?? "-", r.outcome.rawValue, r.finalDecision ?? r.decision ?? "-", r.identity?.username ?? "-", r.intent]
    }

    /// The lines under a request: why it was refused, the error, its stream, and bodies.
    static func details(_ r: RecordedRequest, bodies: Bool) -> [String] {
        var lines: [String] = []
        if let response = r.response {
            if response.rejected { lines.append("rejected by the gateway: \(response.reason ?? "no reason recorded")") }
            if let status = ResponseText.status(response), status.status != Status.success {
                lines.append(ResponseText.errorLine(status))
            }
        } else {
            lines.append("no response recorded")
        }
        if r.decisionRule != nil || r.decisionReason != nil, let text = decisionText(r) { lines.append("decision: \(text)") }
        if let reported = r.reportedSource {
            lines.append("agent as \(r.gateway.map { "gateway \($0)" } ?? "the gateway") reported it: \(ReportedSourceText.summary(reported))")
        }
        if let stream = r.stream { lines.append(streamText(stream)) }
        if bodies {
            lines += headerLines("request headers", r.headers)
            lines += bodyLines("request body", r.body, truncated: r.bodyTruncated)
            if let response = r.response {
                lines += headerLines("response headers", response.headers)
                lines += bodyLines("response body", response.body, truncated: response.bodyTruncated)
            }
        }
        return lines
    }

    /// `stream 3.20s: stdin 1 (3 B), stdout 2 (12 B), resize 1, terminal 80x24, exit code 3`
    public static func streamText(_ s: StreamSummary) -> String {
        var parts = s.orderedChannels.map { name, totals -> String in
            switch name {
            case "watch": return ResponseText.count(totals.events, "watch event")
            case "log": return ResponseText.count(totals.events, "log line")
            default: return "\(name) \(totals.events) (\(ReadingFormat.size(totals.bytes)))"
            }
        }
        if let size = s.terminalSize { parts.append("terminal \(size.width)x\(size.height)") }
        if let code = s.exitCode {
            parts.append("exit code \(code)")
        } else if let status = s.exitStatus {
            parts.append("failed: \(status.message ?? status.reason ?? "unknown error")")
        }
        return "stream \(ReadingFormat.duration(s.lastAt - s.firstAt)): " + parts.joined(separator: ", ")
    }

    static func eventText(_ e: StreamEventRecord, full: Bool) -> String {
        let limit = full ? Int.max : 120
        switch e.channel {
        case "watch": return ResponseText.watchEvent(e.data)
        case "resize": return TerminalSize(json: e.data).map { "\($0.width)x\($0.height)" } ?? ReadingFormat.quoted(e.data, limit: limit)
        case "error":
            guard let status = ErrorChannel.status(e.data) else { return "" }
            if let code = ExecResult.exitCode(from: status) { return "exit code \(code)" }
            return status.message ?? ReadingFormat.quoted(e.data, limit: limit)
        default: return ReadingFormat.quoted(e.data, limit: limit)
        }
    }

    static func identityText(_ i: RecordedIdentity) -> String {
        var text = i.username
        var facts: [String] = []
        if !i.groups.isEmpty { facts.append("groups " + i.groups.joined(separator: ", ")) }
        for key in i.extra.keys.sorted() { facts.append("\(key)=" + (i.extra[key] ?? []).joined(separator: ",")) }
        if let issuer = i.issuer { facts.append("issuer \(issuer)") }
        if let subject = i.subject { facts.append("subject \(subject)") }
        if !facts.isEmpty { text += " (" + facts.joined(separator: "; ") + ")" }
        return text
    }

    /// "deny by rule no-delete-prod: <reason>", "allow by grant g-1a2b3c4d: <reason>",
    /// "review by rule deletes-need-review, then approved by uid 0".
    static func decisionText(_ r: RecordedRequest) -> String? {
        guard let decision = r.decision else { return nil }
        var text = decision
        switch r.decisionRule {
        case nil: break
        case "default"?: text += " by the default effect"
        case let rule? where rule.hasPrefix("grant:"): text += " by grant \(rule.dropFirst("grant:".count))"
        case let rule?: text += " by rule \(rule)"
        }
        if let reason = r.decisionReason { text += ": \(reason)" }
        if let review = r.review { text += ", then \(review.text)" } else if decision == "review" { text += ", not decided" }
        return text
    }

    static func connectionFields(_ c: ConnectionRecord) -> [String] {
        var lines = [field("caller", c.caller.longText)]
        lines += placeFields(c.caller)
        var from = c.peer
        let extras = [c.callerAddress.map { "caller \($0)" }, c.interface.map { "interface \($0)" }].compactMap { $0 }
        if !extras.isEmpty { from += " (\(extras.joined(separator: ", ")))" }
        lines.append(field("from", from))
        var to = [c.cluster, c.originalDestination.map { "at \($0)" }].compactMap { $0 }.joined(separator: " ")
        if let sni = c.tlsServerName { to += " (server name \(sni))" }
        lines.append(field("to", to.isEmpty ? "unknown" : to))
        lines.append(field("outcome", c.outcome + (c.reason.map { ": \($0)" } ?? "")))
        if let ended = c.endReason { lines.append(field("ended", ended)) }
        return lines
    }

    /// The cgroup, unit, container and pod lines of a caller, each when known.
    static func placeFields(_ caller: CallerRecord) -> [String] {
        var lines: [String] = []
        if let cgroup = caller.cgroupText { lines.append(field("cgroup", cgroup)) }
        if let unit = caller.unit { lines.append(field("unit", unit)) }
        if let id = caller.containerID { lines.append(field("container", (caller.containerRuntime.map { "\($0) " } ?? "") + id)) }
        if let pod = caller.podUID { lines.append(field("pod UID", pod)) }
        return lines
    }

    static func span(_ start: Int64, _ end: Int64?) -> String {
        guard let end else { return "opened \(ReadingFormat.time(start)), not closed" }
        return "opened \(ReadingFormat.time(start)), closed \(ReadingFormat.time(end)) (\(ReadingFormat.duration(end - start)))"
    }

    static func field(_ name: String, _ value: String) -> String {
        "  " + name + String(repeating: " ", count: max(1, 13 - name.count)) + value
    }

    static func headerLines(_ title: String, _ headers: [RecordedHeader]) -> [String] {
        guard !headers.isEmpty else { return [] }
        return ["\(title):"] + headers.map { "  \($0.name): \($0.value)" }
    }

    static func bodyLines(_ title: String, _ body: [UInt8]?, truncated: Bool) -> [String] {
        guard let body, !body.isEmpty else { return [] }
        if let note = BodyJSON.protobufNote(body) {
            let heading = "\(title) (\(ReadingFormat.size(Int64(body.count)))\(truncated ? ", truncated" : ""), \(note)):"
            guard !truncated, let json = BodyJSON.parse(body) else { return [heading, "  <binary>"] }
            return [heading, "  " + json.jsonString]
        }
        let heading = "\(title) (\(ReadingFormat.size(Int64(body.count)))\(truncated ? ", truncated" : "")):"
        guard let text = ReadingFormat.text(body) else { return [heading, "  <binary>"] }
        return [heading] + text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
    }
}
