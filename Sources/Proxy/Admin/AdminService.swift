import Kube
import NIOCore

/// The admin API behind the socket: pending reviews, approvals and denials, grants, status.
/// Socket-free, so tests drive it directly. Every change is recorded before it takes effect, with
/// the caller's uid.
///
/// Routes (JSON bodies):
/// - `GET /v1/status`
/// - `GET /v1/pending`; `POST /v1/pending/ID/approve`, `POST /v1/pending/ID/deny` with `{"reason": …}`
/// - `GET /v1/grants`; `POST /v1/grants` with a grant request; `POST /v1/grants/ID/revoke` with `{"reason": …}`
/// - `POST /v1/tail` with `{"filter": …, "format": "text"|"json"}`: the record's decisions as they are
///   committed, as lines (``tail``; served by ``AdminStreamWriter``)
public struct AdminService: Sendable {
    /// Longest grant: a week.
    public static let maximumGrantSeconds: Int64 = 7 * 86_400

    public let policy: AccessPolicy
    public let reviews: ReviewQueue
    public let recorder: any ProxyRecorder
    /// The rest of `GET /v1/status`: sections about the guard, the rules, the store and the
    /// issuers that whoever runs the gateway knows. Run off the event loop; it may block.
    public let report: (@Sendable () async -> [(String, JSONValue)])?
    /// What `POST /v1/tail` streams; nil answers 404.
    public let tail: (any AdminStreamSource)?

    public init(policy: AccessPolicy, reviews: ReviewQueue, recorder: any ProxyRecorder,
                report: (@Sendable () async -> [(String, JSONValue)])? = nil, tail: (any AdminStreamSource)? = nil) {
        self.policy = policy
        self.reviews = reviews
        self.recorder = recorder
        self.report = report
        self.tail = tail
    }

    /// The stream a request asks for, if it is one: `POST /v1/tail`.
    public func streamSource(method: String, path: String) -> (any AdminStreamSource)? {
        guard method == "POST", path.split(separator: "?").first == "/v1/tail" else { return nil }
        return tail
    }

    public func respond(method: String, path: String, body: [UInt8], caller: PeerCredentials,
                        on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let parts = path.split(separator: "/").map(String.init)
        let object = body.isEmpty ? JSONValue.object([:]) : ((try? JSONParser.parse(body)) ?? .null)
        guard object.objectValue != nil else { return eventLoop.makeSucceededFuture(.error(400, "the request body is not a JSON object")) }
        let route = parts.count >= 2 && parts[0] == "v1" ? Array(parts.dropFirst()) : []
        switch (method, route.first ?? "", route.count) {
        case ("GET", "status", 1):
            guard let report else { return eventLoop.makeSucceededFuture(.ok(status([]))) }
            let promise = eventLoop.makePromise(of: AdminResponse.self)
            let service = self
            Task.detached { promise.succeed(.ok(service.status(await report()))) }
            return promise.futureResult
        case ("GET", "pending", 1):
            var w = GoJSONObjectWriter()
            w.objectArray("pending", reviews.pending(), AdminJSON.held)
            return eventLoop.makeSucceededFuture(.ok(w.finish()))
        case ("POST", "pending", 3) where route[2] == "approve" || route[2] == "deny":
            return eventLoop.makeSucceededFuture(decide(route[1], approve: route[2] == "approve",
                                                        reason: object["reason"]?.stringValue, caller: caller))
        case ("GET", "grants", 1):
            var w = GoJSONObjectWriter()
            w.objectArray("grants", policy.grants.active(at: ProxyClock.now()), AdminJSON.grant)
            return eventLoop.makeSucceededFuture(.ok(w.finish()))
        case ("POST", "grants", 1):
            return issueGrant(object, caller: caller, on: eventLoop)
        case ("POST", "grants", 3) where route[2] == "revoke":
            return revokeGrant(route[1], reason: object["reason"]?.stringValue, caller: caller, on: eventLoop)
        default:
            return eventLoop.makeSucceededFuture(.error(404, "no such admin request: \(method) \(path)"))
        }
    }

    private func status(_ sections: [(String, JSONValue)]) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.object("policy") { AdminJSON.policy(policy.status, &$0) }
        w.int("pending", Int64(reviews.pending().count))
        w.int("grants", Int64(policy.grants.active(at: ProxyClock.now()).count))
        for (name, value) in sections { w.value(name, value) }
        return w.finish()
    }

    private func decide(_ text: String, approve: Bool, reason: String?, caller: PeerCredentials) -> AdminResponse {
        guard let id = UInt64(text) else { return .error(400, "'\(text)' is not a held request's number (see portcullis pending)") }
        guard let held = reviews.held(id) else {
            return .error(404, "no request \(id) is waiting for review: it was decided, timed out or withdrawn (see portcullis pending)")
        }
        let reason = reason.flatMap { $0.isEmpty ? nil : $0 }
        let verdict: ReviewVerdict = approve ? .approved(by: .uid(caller.uid), reason: reason) : .denied(by: .uid(caller.uid), reason: reason)
        guard reviews.decide(id, verdict) else { return .error(409, "request \(id) was decided meanwhile") }
        var w = GoJSONObjectWriter()
        AdminJSON.held(held, &w)
        w.string("verdict", verdict.outcome)
        return .ok(w.finish())
    }

    private func issueGrant(_ object: JSONValue, caller: PeerCredentials, on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let grant: Grant
        do {
            grant = try Self.grant(from: object, by: .uid(caller.uid), at: ProxyClock.now())
        } catch {
            return eventLoop.makeSucceededFuture(.error(400, error.description))
        }
        let policy = self.policy
        return recorder.record(.grantIssued(grant), on: eventLoop).map { _ -> AdminResponse in
            policy.grants.add(grant, at: ProxyClock.now())
            var w = GoJSONObjectWriter()
            AdminJSON.grant(grant, &w)
            return .ok(w.finish())
        }.recover { error in .error(503, "the grant could not be recorded, so it is not in force: \(error)") }
    }

    private func revokeGrant(_ id: String, reason: String?, caller: PeerCredentials,
                             on eventLoop: any EventLoop) -> EventLoopFuture<AdminResponse> {
        let now = ProxyClock.now()
        guard let grant = policy.grants.active(at: now).first(where: { $0.id == id }) else {
            return eventLoop.makeSucceededFuture(.error(404, "no grant \(id) is in force: it expired, was revoked or never existed (see portcullis grants --all)"))
        }
        let policy = self.policy
        let reason = reason.flatMap { $0.isEmpty ? nil : $0 }
        return recorder.record(.grantRevoked(id: id, time: now, by: .uid(caller.uid), reason: reason), on: eventLoop).map { _ -> AdminResponse in
            policy.grants.revoke(id, at: ProxyClock.now())
            var w = GoJSONObjectWriter()
            AdminJSON.grant(grant, &w)
            w.string("revokedAt", now.rfc3339Micro)
            return .ok(w.finish())
        }.recover { error in .error(503, "the revocation could not be recorded, so the grant stays in force: \(error)") }
    }

    /// A grant from a request `{subjectKind, subject, verbs, apiGroups, resources, namespaces, names,
    /// nonResourceURLs, reason, seconds}`, checked.
    public static func grant(from object: JSONValue, by principal: Principal, at now: KubeTime) throws(GrantRequestError) -> Grant {
        func strings(_ key: String) throws(GrantRequestError) -> [String] {
            guard let value = object[key] else { return [] }
            // "" is the core API group, and in namespaces the cluster scope.
            let mayBeEmpty = key == "apiGroups" || key == "namespaces"
            guard let items = value.arrayValue?.compactMap(\.stringValue), items.count == value.arrayValue?.count,
                  mayBeEmpty || !items.contains("") else {
                throw GrantRequestError("\(key) must be a list of non-empty strings")
            }
            return items
        }
        let subject: GrantSubject
        switch (object["subjectKind"]?.stringValue, object["subject"]?.stringValue) {
        case ("user", let name?) where !name.isEmpty: subject = .user(name)
        case ("group", let name?) where !name.isEmpty: subject = .group(name)
        default: throw GrantRequestError("a grant needs one subject: a user or a group")
        }
        let verbs = try strings("verbs")
        let resources = try strings("resources"), urls = try strings("nonResourceURLs")
        let apiGroups = try strings("apiGroups"), namespaces = try strings("namespaces"), names = try strings("names")
        guard !verbs.isEmpty else { throw GrantRequestError("a grant needs verbs (for example get,list)") }
        guard resources.isEmpty != urls.isEmpty else {
            throw GrantRequestError("a grant needs either resources or non-resource URLs, not both and not neither")
        }
        guard urls.isEmpty || (apiGroups.isEmpty && namespaces.isEmpty && names.isEmpty) else {
            throw GrantRequestError("a grant for non-resource URLs cannot name API groups, namespaces or names")
        }
        guard let reason = object["reason"]?.stringValue, reason.contains(where: { !$0.isWhitespace }) else {
            throw GrantRequestError("a grant needs a reason (it is recorded and shown with every request it admits)")
        }
        guard let seconds = object["seconds"]?.intValue, (1...maximumGrantSeconds).contains(seconds) else {
            throw GrantRequestError("a grant lasts from 1 second to 7 days")
        }
        return Grant(id: Grant.newID(), subject: subject, verbs: verbs, apiGroups: apiGroups, resources: resources,
                     namespaces: namespaces, names: names, nonResourceURLs: urls, reason: reason, createdAt: now,
                     expiresAt: KubeTime(microseconds: now.microseconds + seconds * 1_000_000), createdBy: principal)
    }
}
