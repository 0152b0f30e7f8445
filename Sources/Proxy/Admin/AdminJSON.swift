import Kube

/// The JSON the admin API speaks, written and read in one place so the CLI and the server agree.
public enum AdminJSON {
    public static func held(_ h: HeldRequest, _ w: inout GoJSONObjectWriter) {
        w.int("id", Int64(h.id))
        w.string("request", h.request.description)
        w.string("connection", h.connection.description)
        w.string("user", h.username)
        w.stringArray("groups", h.groups)
        w.string("intent", h.intent)
        w.string("body", h.bodySummary)
        w.string("rule", h.rule)
        w.stringOmitEmpty("reason", h.reason)
        w.string("heldAt", h.heldAt.rfc3339Micro)
        w.string("deadline", h.deadline.rfc3339Micro)
    }

    public static func grant(_ g: Grant, _ w: inout GoJSONObjectWriter) {
        w.string("id", g.id)
        w.string("subjectKind", g.subject.kind)
        w.string("subject", g.subject.name)
        w.stringArray("verbs", g.verbs)
        w.stringArray("apiGroups", g.apiGroups)
        w.stringArray("resources", g.resources)
        w.stringArray("namespaces", g.namespaces)
        w.stringArray("names", g.names)
        w.stringArray("nonResourceURLs", g.nonResourceURLs)
        w.string("reason", g.reason)
        w.string("createdAt", g.createdAt.rfc3339Micro)
        w.string("expiresAt", g.expiresAt.rfc3339Micro)
        principal("createdBy", g.createdBy, &w)
        if let host = g.host { w.string("host", host) }
    }

    /// A uid as a number (as before), a central role as a string.
    public static func principal(_ key: String, _ p: Principal, _ w: inout GoJSONObjectWriter) {
        switch p {
        case .uid(let uid): w.int(key, Int64(uid))
        case .centralRole(let role): w.string(key, role)
        }
    }

    public static func decodePrincipal(_ value: JSONValue?) -> Principal? {
        if let role = value?.stringValue { return .centralRole(role) }
        guard let number = value?.intValue, let uid = UInt32(exactly: number) else { return nil }
        return .uid(uid)
    }

    public static func policy(_ s: PolicyStatus, _ w: inout GoJSONObjectWriter) {
        w.string("file", s.source)
        w.int("generation", Int64(s.generation))
        w.string("loadedAt", s.loadedAt.rfc3339Micro)
        w.string("digest", s.digest)
        w.int("rules", Int64(s.ruleCount))
        w.string("defaultEffect", s.defaultEffect.rawValue)
        w.stringOmitEmpty("lastError", s.lastError)
        if let at = s.lastErrorAt { w.string("lastErrorAt", at.rfc3339Micro) }
    }

    /// A grant from `object`, as written by ``grant(_:_:)``; nil when a field is missing or wrong.
    public static func decodeGrant(_ object: JSONValue) -> Grant? {
        func strings(_ key: String) -> [String]? {
            guard let items = object[key]?.arrayValue else { return object[key] == nil ? [] : nil }
            let values = items.compactMap(\.stringValue)
            return values.count == items.count ? values : nil
        }
        guard let id = object["id"]?.stringValue, let kind = object["subjectKind"]?.stringValue,
              let name = object["subject"]?.stringValue, let verbs = strings("verbs"), let apiGroups = strings("apiGroups"),
              let resources = strings("resources"), let namespaces = strings("namespaces"), let names = strings("names"),
              let urls = strings("nonResourceURLs"), let reason = object["reason"]?.stringValue,
              let created = object["createdAt"]?.stringValue.flatMap(KubeTime.init(rfc3339:)),
              let expires = object["expiresAt"]?.stringValue.flatMap(KubeTime.init(rfc3339:)),
              let by = decodePrincipal(object["createdBy"]) else { return nil }
        let subject: GrantSubject
        switch kind {
        case "user": subject = .user(name)
        case "group": subject = .group(name)
        default: return nil
        }
        return Grant(id: id, subject: subject, verbs: verbs, apiGroups: apiGroups, resources: resources, namespaces: namespaces,
                     names: names, nonResourceURLs: urls, reason: reason, createdAt: created, expiresAt: expires, createdBy: by,
                     host: object["host"]?.stringValue)
    }

    public static func decodeHeld(_ object: JSONValue) -> HeldRequest? {
        guard let id = object["id"]?.intValue, let request = object["request"]?.stringValue,
              let connection = object["connection"]?.stringValue, let user = object["user"]?.stringValue,
              let intent = object["intent"]?.stringValue, let body = object["body"]?.stringValue, let rule = object["rule"]?.stringValue,
              let heldAt = object["heldAt"]?.stringValue.flatMap(KubeTime.init(rfc3339:)),
              let deadline = object["deadline"]?.stringValue.flatMap(KubeTime.init(rfc3339:)) else { return nil }
        return HeldRequest(id: UInt64(max(0, id)), request: RequestID(UInt64(request.dropFirst()) ?? 0),
                           connection: ConnectionID(UInt64(connection.dropFirst()) ?? 0), username: user,
                           groups: (object["groups"]?.arrayValue ?? []).compactMap(\.stringValue), intent: intent, bodySummary: body,
                           rule: rule, reason: object["reason"]?.stringValue, heldAt: heldAt, deadline: deadline)
    }
}
