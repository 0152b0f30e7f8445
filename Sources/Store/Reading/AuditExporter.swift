import Kube

/// Turns recorded requests into `audit.k8s.io/v1` Events as kube-apiserver writes them when a
/// proxy impersonates: `user` is the gateway's own identity, `impersonatedUser` the verified one.
///
/// Per request: a `ResponseStarted` Event for long-running requests (watch, exec, attach, logs,
/// port-forward, proxy) when the stream's start is recorded, then `ResponseComplete`. A request
/// without a recorded response gets a `RequestReceived` Event only. Bodies in the store are already
/// redacted; `requestObject` (Request and RequestResponse levels, resource requests) and
/// `responseObject` (RequestResponse) are written only for complete JSON bodies and protobuf
/// bodies of the kinds Portcullis reads, rendered as JSON (``BodyJSON``).
public struct AuditExporter: Sendable {
    public var level: AuditEvent.Level
    /// Who the gateway is to the API server.
    public var gatewayUser: UserInfo
    /// The gateway host the record came from, for an export of the central store
    /// (annotation `portcullis.io/host`); nil for a local store.
    public var host: String?

    /// The gateway's name when none is configured.
    public static let defaultGatewayUsername = "portcullis"

    public init(level: AuditEvent.Level = .metadata, gatewayUser: UserInfo = AuditExporter.gatewayUser()) {
        self.level = level
        self.gatewayUser = gatewayUser
    }

    /// The gateway's UserInfo; kube-apiserver adds `system:authenticated` to every authenticated user.
    public static func gatewayUser(_ username: String = defaultGatewayUsername, groups: [String] = []) -> UserInfo {
        UserInfo(username: username, groups: withAuthenticated(groups))
    }

    /// Whether the level needs bodies read from the store.
    public var needsBodies: Bool { level == .request || level == .requestResponse }

    public func events(for r: RecordedRequest) -> [AuditEvent] {
        var base = AuditEvent(level: level, auditID: r.auditID, stage: .requestReceived, requestURI: r.uri, verb: r.verb,
                              user: gatewayUser, impersonatedUser: r.identity.map(Self.impersonated),
                              sourceIPs: Self.sourceIPs(r), userAgent: AuditEvent.recordedUserAgent(r.userAgent),
                              objectRef: objectRef(r), requestReceivedTimestamp: KubeTime(microseconds: r.receivedAt),
                              stageTimestamp: KubeTime(microseconds: r.receivedAt), annotations: annotations(r))
        if level != .metadata, r.isResourceRequest, !r.bodyTruncated, let body = r.body, !body.isEmpty,
           let object = BodyJSON.parse(body) {
            base.requestObject = object
        }
        guard let response = r.response else { return [base] }
        var events: [AuditEvent] = []
        if r.isLongRunning, let startedAt = response.startedAt {
            var started = base
            started.stage = .responseStarted
            started.stageTimestamp = KubeTime(microseconds: startedAt)
            started.responseStatus = Status(status: nil, code: response.statusCode)
            events.append(started)
        }
        var complete = base
        complete.stage = .responseComplete
        complete.stageTimestamp = KubeTime(microseconds: response.completedAt)
        complete.responseStatus = Self.responseStatus(response)
        if level == .requestResponse, r.isResourceRequest, !r.isLongRunning, !response.bodyTruncated, let body = response.body,
           !body.isEmpty, let object = BodyJSON.parse(body) {
            complete.responseObject = object
        }
        events.append(complete)
        return events
    }

    /// `{"metadata":{},"code":200}` on success; the Status fields of the body when it is a Status.
    static func responseStatus(_ response: RecordedResponse) -> Status {
        guard let status = ResponseText.status(response) else { return Status(status: nil, code: response.statusCode) }
        return Status(status: status.status, message: status.message, reason: status.reason, details: status.details,
                      code: status.code != 0 ? status.code : response.statusCode)
    }

    static func impersonated(_ identity: RecordedIdentity) -> UserInfo {
        UserInfo(username: identity.username, groups: withAuthenticated(identity.groups), extra: identity.extra)
    }

    static func withAuthenticated(_ groups: [String]) -> [String] {
        groups.contains("system:authenticated") ? groups : groups + ["system:authenticated"]
    }

    static func sourceIPs(_ r: RecordedRequest) -> [String] {
        if let address = r.callerAddress, !address.isEmpty { return [HostPort.host(of: address)] }
        if let peer = r.peer, !peer.isEmpty { return [HostPort.host(of: peer)] }
        return []
    }

    /// The reference kube-apiserver records; for create and update it is completed from the
    /// request object, as `LogRequestObject` does.
    func objectRef(_ r: RecordedRequest) -> ObjectReference? {
        guard var ref = ObjectReference(r.info) else { return nil }
        guard ["create", "update"].contains(r.verb), !r.bodyTruncated, let body = r.body, !body.isEmpty,
              let object = BodyJSON.parse(body) else { return ref }
        func fill(_ field: inout String, _ key: String) {
            if field.isEmpty, let value = object[path: "metadata", key]?.stringValue { field = value }
        }
        fill(&ref.namespace, "namespace")
        fill(&ref.name, "name")
        fill(&ref.uid, "uid")
        fill(&ref.resourceVersion, "resourceVersion")
        return ref
    }

    /// Where the Event came from in the recording, and the gateway's own decisions.
    func annotations(_ r: RecordedRequest) -> [String: String] {
        var a = ["portcullis.io/session": RecordReference.connection(r.connectionID).description,
                 "portcullis.io/request": r.reference.description,
                 "portcullis.io/intent": r.intent]
        if let cluster = r.cluster { a["portcullis.io/cluster"] = cluster }
        if let run = r.runID {
            a["portcullis.io/run"] = RecordReference.run(run).description
            if let fingerprint = r.tokenFingerprint { a["portcullis.io/token-fingerprint"] = fingerprint }
            for (name, value) in r.runClaims { a["portcullis.io/run-claim-\(name)"] = value }
        }
        if let caller = r.caller {
            if let uid = caller.uid { a["portcullis.io/caller-uid"] = String(uid) }
            if let cgroup = caller.cgroup { a["portcullis.io/caller-cgroup"] = cgroup }
            if let unit = caller.unit { a["portcullis.io/caller-unit"] = unit }
            if let id = caller.containerID { a["portcullis.io/caller-container"] = (caller.containerRuntime ?? "container") + "://" + id }
            if let pod = caller.podUID { a["portcullis.io/caller-pod-uid"] = pod }
            if let pid = caller.pid { a["portcullis.io/caller-pid"] = String(pid) }
            if let name = caller.programName { a["portcullis.io/caller-program"] = name }
        }
        if let host { a["portcullis.io/host"] = host }
        if let gateway = r.gateway { a["portcullis.io/gateway"] = gateway }
        if let reported = r.reportedSource { a["portcullis.io/reported-source"] = reported }
        if let decision = r.decision { a["portcullis.io/decision"] = decision }
        if let rule = r.decisionRule { a["portcullis.io/decision-rule"] = rule }
        if let reason = r.decisionReason { a["portcullis.io/decision-reason"] = reason }
        if let review = r.review {
            a["portcullis.io/review"] = review.outcome
            if let uid = review.reviewerUID { a["portcullis.io/reviewer-uid"] = String(uid) }
            if let role = review.reviewerRole { a["portcullis.io/reviewer-role"] = role }
            if let reason = review.reason { a["portcullis.io/review-reason"] = reason }
        }
        if let response = r.response, response.rejected {
            a["portcullis.io/rejected"] = "true"
            if let reason = response.reason { a["portcullis.io/rejected-reason"] = reason }
        }
        if r.bodyTruncated, level != .metadata { a["portcullis.io/request-body-truncated"] = "true" }
        if let response = r.response, response.bodyTruncated, level == .requestResponse {
            a["portcullis.io/response-body-truncated"] = "true"
        }
        return a
    }
}
