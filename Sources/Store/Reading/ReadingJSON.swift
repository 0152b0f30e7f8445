import Foundation
import Kube

/// The JSON forms of the reading models (`--json` of `sessions` and `show`). Times are
/// MicroTime strings; durations are in microseconds; bodies are embedded as JSON when they are
/// JSON, as text when they are UTF-8, and as base64 otherwise (`...Base64`).
public enum ReadingJSON {
    public static func caller(_ c: CallerRecord) -> [UInt8] {
        var w = GoJSONObjectWriter()
        if let uid = c.uid { w.int("uid", uid) }
        if let gid = c.gid { w.int("gid", gid) }
        if let pid = c.pid { w.int("pid", pid) }
        w.stringOmitEmpty("executable", c.executable)
        if let commandLine = c.commandLine { w.stringArray("commandLine", commandLine) }
        w.stringOmitEmpty("cgroup", c.cgroup)
        if let id = c.cgroupID { w.string("cgroupID", String(UInt64(bitPattern: id))) }
        w.stringOmitEmpty("unit", c.unit)
        w.stringOmitEmpty("containerRuntime", c.containerRuntime)
        w.stringOmitEmpty("containerID", c.containerID)
        w.stringOmitEmpty("podUID", c.podUID)
        w.stringOmitEmpty("gateway", c.gateway)
        return w.finish()
    }

    public static func connection(_ c: ConnectionRecord, into w: inout GoJSONObjectWriter) {
        w.string("id", c.reference.description)
        w.string("kind", c.isRefused ? "refused" : "connection")
        w.string("openedAt", ReadingFormat.time(c.openedAt))
        if let closedAt = c.closedAt { w.string("closedAt", ReadingFormat.time(closedAt)) }
        w.string("peer", c.peer)
        w.stringOmitEmpty("callerAddress", c.callerAddress)
        w.stringOmitEmpty("interface", c.interface)
        w.stringOmitEmpty("originalDestination", c.originalDestination)
        w.stringOmitEmpty("cluster", c.cluster)
        w.stringOmitEmpty("tlsServerName", c.tlsServerName)
        w.raw("caller", caller(c.caller))
        w.string("outcome", c.outcome)
        w.stringOmitEmpty("reason", c.reason)
        w.stringOmitEmpty("endReason", c.endReason)
    }

    public static func timeline(_ t: SessionTimeline, bodies: Bool) -> [UInt8] {
        var w = GoJSONObjectWriter()
        connection(t.connection, into: &w)
        w.objectArray("requests", t.requests) { r, o in request(r, bodies: bodies, into: &o) }
        return w.finish()
    }

    public static func guardEvent(_ g: GuardEventRecord) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("id", g.reference.description)
        w.string("kind", "bypass")
        w.string("at", ReadingFormat.time(g.at))
        w.string("protocol", g.protocol)
        w.string("source", g.source)
        if let port = g.sourcePort { w.int("sourcePort", port) }
        w.string("destination", g.destination)
        if let port = g.destinationPort { w.int("destinationPort", port) }
        w.raw("caller", caller(g.caller))
        w.stringOmitEmpty("inInterface", g.inInterface)
        w.stringOmitEmpty("outInterface", g.outInterface)
        w.stringOmitEmpty("note", g.note)
        return w.finish()
    }

    /// A request; with `events`, its stream events as well.
    public static func request(_ r: RecordedRequest, bodies: Bool, events: [StreamEventRecord]? = nil) -> [UInt8] {
        var w = GoJSONObjectWriter()
        request(r, bodies: bodies, into: &w)
        if let events { w.objectArray("events", events) { e, o in event(e, into: &o) } }
        return w.finish()
    }

    static func request(_ r: RecordedRequest, bodies: Bool, into w: inout GoJSONObjectWriter) {
        w.string("id", r.reference.description)
        w.string("session", RecordReference.connection(r.connectionID).description)
        w.string("receivedAt", ReadingFormat.time(r.receivedAt))
        w.string("intent", r.intent)
        w.string("method", r.method)
        w.string("uri", r.uri)
        w.string("verb", r.verb)
        if r.isResourceRequest {
            w.stringOmitEmpty("apiGroup", r.apiGroup)
            w.stringOmitEmpty("apiVersion", r.apiVersion)
            w.stringOmitEmpty("resource", r.resource)
            w.stringOmitEmpty("subresource", r.subresource)
            w.stringOmitEmpty("namespace", r.namespace)
            w.stringOmitEmpty("name", r.name)
        }
        w.string("auditID", r.auditID)
        w.stringOmitEmpty("userAgent", r.userAgent)
        w.stringOmitEmpty("gateway", r.gateway)
        if let reported = r.reportedSource, let value = try? JSONParser.parse(reported) { w.value("reportedSource", value) }
        if let identity = r.identity {
            w.object("user") { u in
                u.string("username", identity.username)
                u.stringArray("groups", identity.groups)
                if !identity.extra.isEmpty {
                    u.object("extra") { e in
                        for key in identity.extra.keys.sorted() { e.stringArray(key, identity.extra[key] ?? []) }
                    }
                }
                u.stringOmitEmpty("issuer", identity.issuer)
                u.stringOmitEmpty("subject", identity.subject)
            }
        }
        w.stringOmitEmpty("decision", r.decision)
        w.stringOmitEmpty("decisionRule", r.decisionRule)
        w.stringOmitEmpty("decisionReason", r.decisionReason)
        if let review = r.review {
            w.object("review") { v in
                v.string("at", ReadingFormat.time(review.at))
                v.string("outcome", review.outcome)
                v.stringOmitEmpty("decision", review.decision)
                if let uid = review.reviewerUID { v.int("reviewerUID", uid) }
                v.stringOmitEmpty("reason", review.reason)
            }
        }
        w.string("outcome", r.outcome.rawValue)
        if let response = r.response {
            w.int("status", Int64(response.statusCode))
            if let latency = r.latency { w.int("latencyMicroseconds", latency) }
            if let duration = r.duration { w.int("durationMicroseconds", duration) }
            w.object("response") { o in
                if let startedAt = response.startedAt { o.string("startedAt", ReadingFormat.time(startedAt)) }
                o.string("completedAt", ReadingFormat.time(response.completedAt))
                o.int("code", Int64(response.statusCode))
                o.int("bytes", response.bytes)
                o.bool("rejected", response.rejected)
                o.stringOmitEmpty("reason", response.reason)
                if let status = ResponseText.status(response) {
                    o.stringOmitEmpty("statusReason", status.reason)
                    o.stringOmitEmpty("statusMessage", status.message)
                }
                if bodies {
                    headers("headers", response.headers, into: &o)
                    body("body", response.body, truncated: response.bodyTruncated, into: &o)
                }
            }
        }
        if let stream = r.stream { w.raw("stream", streamSummary(stream)) }
        if bodies {
            headers("requestHeaders", r.headers, into: &w)
            body("requestBody", r.body, truncated: r.bodyTruncated, into: &w)
        }
    }

    static func streamSummary(_ s: StreamSummary) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("firstAt", ReadingFormat.time(s.firstAt))
        w.string("lastAt", ReadingFormat.time(s.lastAt))
        w.object("channels") { c in
            for (name, totals) in s.orderedChannels {
                c.object(name) { t in
                    t.int("events", Int64(totals.events))
                    t.int("bytes", totals.bytes)
                }
            }
        }
        if let size = s.terminalSize { w.raw("terminalSize", size.jsonBytes()) }
        if let code = s.exitCode { w.int("exitCode", Int64(code)) }
        if let status = s.exitStatus, s.exitCode == nil { w.stringOmitEmpty("exitMessage", status.message) }
        return w.finish()
    }

    public static func event(_ e: StreamEventRecord) -> [UInt8] {
        var w = GoJSONObjectWriter()
        event(e, into: &w)
        return w.finish()
    }

    static func event(_ e: StreamEventRecord, into w: inout GoJSONObjectWriter) {
        w.int("seq", e.seq)
        w.string("at", ReadingFormat.time(e.at))
        w.string("direction", e.direction.rawValue)
        w.string("channel", e.channel)
        w.int("bytes", Int64(e.data.count))
        if let text = ReadingFormat.text(e.data) {
            w.string("data", text)
        } else {
            w.string("dataBase64", Data(e.data).base64EncodedString())
        }
    }

    static func headers(_ name: String, _ headers: [RecordedHeader], into w: inout GoJSONObjectWriter) {
        guard !headers.isEmpty else { return }
        w.key(name, raw: headers.map { h -> [UInt8] in
            var a: [UInt8] = [UInt8(ascii: "[")]
            GoJSON.appendString(h.name, to: &a)
            a.append(UInt8(ascii: ","))
            GoJSON.appendString(h.value, to: &a)
            return a + [UInt8(ascii: "]")]
        })
    }

    static func body(_ name: String, _ bytes: [UInt8]?, truncated: Bool, into w: inout GoJSONObjectWriter) {
        guard let bytes, !bytes.isEmpty else { return }
        if !truncated, let json = BodyJSON.parse(bytes) {
            w.value(name, json)
            if ProtobufEnvelope.hasMagic(bytes) { w.string(name + "Encoding", "protobuf") }
        } else if let text = ReadingFormat.text(bytes) {
            w.string(name, text)
        } else {
            w.string(name + "Base64", Data(bytes).base64EncodedString())
        }
        if truncated { w.bool(name + "Truncated", true) }
    }
}

extension GoJSONObjectWriter {
    /// The finished object as text.
    public var finishedText: String { String(decoding: finish(), as: UTF8.self) }

    /// Adds a member whose value is a JSON array of already-encoded items.
    mutating func key(_ name: String, raw items: [[UInt8]]) {
        var array: [UInt8] = [UInt8(ascii: "[")]
        for (i, item) in items.enumerated() {
            if i > 0 { array.append(UInt8(ascii: ",")) }
            array += item
        }
        raw(name, array + [UInt8(ascii: "]")])
    }
}
