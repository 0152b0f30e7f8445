import Intercept
import Kube

extension ProxyEvent {
    /// One JSON object describing the event for logs and the JSON-lines recorder. Stream and body
    /// bytes are counted, not written.
    public func jsonBytes() -> [UInt8] {
        var w = GoJSONObjectWriter()
        switch self {
        case .connectionOpened(let c):
            w.string("event", "connection_opened")
            w.string("time", c.time.rfc3339Micro)
            w.string("connection", c.id.description)
            w.string("peer", c.peer)
            w.string("originalDestination", c.originalDestination)
            w.string("cluster", c.cluster)
            if let uid = c.caller.uid { w.int("uid", Int64(uid)) }
            if let pid = c.caller.process?.pid { w.int("pid", Int64(pid)) }
            w.stringOmitEmpty("interface", c.caller.interface)
            w.stringOmitEmpty("gateway", c.gateway)
        case .connectionRefused(let r):
            return InterceptEvent.refusedConnection(r).jsonBytes()
        case .connectionClosed(let id, let time):
            w.string("event", "connection_closed")
            w.string("time", time.rfc3339Micro)
            w.string("connection", id.description)
        case .connectionEnded(let id, let time, let reason):
            w.string("event", "connection_closed")
            w.string("time", time.rfc3339Micro)
            w.string("connection", id.description)
            w.string("reason", reason)
        case .requestReceived(let r):
            w.string("event", "request")
            w.string("time", r.time.rfc3339Micro)
            w.string("request", r.id.description)
            w.string("connection", r.connection.description)
            w.string("method", r.method)
            w.string("uri", r.uri)
            w.string("verb", r.info.verb)
            w.string("intent", r.intent)
            w.string("auditID", r.auditID)
            if let identity = r.identity {
                w.string("user", identity.username)
                w.stringArray("groups", identity.groups)
            }
            if let decision = r.decision {
                w.string("decision", decision.effect.rawValue)
                w.string("decisionRule", decision.recordedSource)
            }
            if let reported = r.reportedSource { w.raw("reportedSource", Array(reported.utf8)) }
        case .requestRejected(let id, let time, let status, let reason):
            w.string("event", "request_rejected")
            w.string("time", time.rfc3339Micro)
            w.string("request", id.description)
            w.int("code", Int64(status.code))
            w.string("reason", reason)
        case .responseStarted(let id, let time, let status, _):
            w.string("event", "response_started")
            w.string("time", time.rfc3339Micro)
            w.string("request", id.description)
            w.int("code", Int64(status))
        case .responseBody(let id, let bytes):
            w.string("event", "response_body")
            w.string("request", id.description)
            w.int("bytes", Int64(bytes.count))
        case .responseCompleted(let id, let time, let bytes):
            w.string("event", "response_completed")
            w.string("time", time.rfc3339Micro)
            w.string("request", id.description)
            w.int("bytes", Int64(bytes))
        case .streamData(let id, let time, let direction, let bytes):
            w.string("event", "stream_data")
            w.string("time", time.rfc3339Micro)
            w.string("request", id.description)
            w.string("direction", direction.rawValue)
            w.int("bytes", Int64(bytes.count))
        case .reviewDecided(let id, let time, let verdict):
            w.string("event", "review_decided")
            w.string("time", time.rfc3339Micro)
            w.string("request", id.description)
            w.string("outcome", verdict.outcome)
            if let reviewer = verdict.reviewer { AdminJSON.principal("reviewer", reviewer, &w) }
        case .grantIssued(let grant):
            w.string("event", "grant_issued")
            w.string("time", grant.createdAt.rfc3339Micro)
            w.string("grant", grant.id)
            w.string("subject", grant.subject.description)
            w.string("expires", grant.expiresAt.rfc3339Micro)
            AdminJSON.principal("by", grant.createdBy, &w)
        case .grantRevoked(let id, let time, let by, _):
            w.string("event", "grant_revoked")
            w.string("time", time.rfc3339Micro)
            w.string("grant", id)
            AdminJSON.principal("by", by, &w)
        }
        return w.finish()
    }
}
