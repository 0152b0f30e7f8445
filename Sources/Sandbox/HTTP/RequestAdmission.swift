import Foundation
import Kube
import NIOHTTP1

/// A request as it arrives: attributed, authenticated and given its audit ID, or refused with
/// the Status kube-apiserver would send.
struct AdmittedRequest: Sendable {
    var method: String
    var uri: String
    var target: RequestTarget
    var info: RequestInfo
    var identity: Authenticator.Identity?
    var auditID: String
    var received: KubeTime
    var userAgent: String
    var sourceIP: String
    /// Set when the request must be refused; the rest is kept for the audit log.
    var refusal: Status?

    static let anonymous = UserInfo(username: "system:anonymous", groups: ["system:unauthenticated"])

    init(head: HTTPRequestHead, sourceIP: String, authenticator: Authenticator) {
        method = head.method.rawValue
        uri = head.uri
        target = RequestTarget(head.uri)
        received = SandboxClock.now()
        userAgent = head.headers.first(name: "user-agent") ?? ""
        self.sourceIP = sourceIP
        let suppliedID = head.headers.first(name: "audit-id") ?? ""
        auditID = suppliedID.isEmpty ? UUID().uuidString.lowercased() : suppliedID
        do {
            info = try RequestInfoResolver.resolve(method: method, target: target)
        } catch {
            info = error.partial
            refusal = Status.internalError("failed to create RequestInfo: \(error.message)")
            return
        }
        switch authenticator.authenticate(authorization: head.headers.first(name: "authorization")) {
        case .rejected:
            refusal = Status.unauthorized()
        case .anonymous:
            if !SandboxAPI.isPublicPath(target.path) { refusal = Status.unauthorized() }
        case .authenticated(let user):
            let impersonation = head.headers.filter { $0.name.lowercased().hasPrefix("impersonate-") }
            do {
                identity = try authenticator.identity(for: user, headers: impersonation.map { ($0.name, $0.value) })
            } catch {
                identity = Authenticator.Identity(user: user)
                refusal = error
            }
        }
    }

    /// The audit Event for this request at `stage`, with `status` as its responseStatus.
    func auditEvent(stage: AuditEvent.Stage, status: Status?) -> AuditEvent {
        var event = AuditEvent(
            level: .metadata, auditID: auditID, stage: stage, requestURI: uri, verb: info.verb,
            user: identity?.user ?? Self.anonymous, impersonatedUser: identity?.impersonatedUser,
            sourceIPs: sourceIP.isEmpty ? [] : [sourceIP], userAgent: AuditEvent.recordedUserAgent(userAgent),
            objectRef: ObjectReference(info), responseStatus: status,
            requestReceivedTimestamp: received, stageTimestamp: SandboxClock.now())
        if identity != nil, refusal == nil {
            event.annotations = ["authorization.k8s.io/decision": "allow",
                                 "authorization.k8s.io/reason": "portcullis-sandbox allows every authenticated user"]
        }
        return event
    }

    /// The responseStatus kube-apiserver records for a response code.
    static func responseStatus(code: Int, status: Status? = nil) -> Status {
        if let status { return Status(status: status.status, message: status.message, reason: status.reason,
                                      details: status.details, code: code) }
        return Status(status: nil, code: code)
    }
}
