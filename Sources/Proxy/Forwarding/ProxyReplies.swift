import Kube

/// The Status answers the gateway gives itself, in kube-apiserver's form so kubectl prints them.
enum ProxyReplies {
    static func missingToken(header: String) -> (Status, String) {
        (Status.unauthorized(), "no token in the \(header) header")
    }

    static func rejected(_ reason: String) -> (Status, String) {
        (Status.unauthorized(), reason)
    }

    static let clientImpersonation = Status.forbidden(
        GroupResource(resource: "users"), name: "",
        "portcullis: Impersonate-* and X-Remote-* headers are not allowed: the gateway impersonates the verified user itself")

    /// A relay's refusal of a gateway's malformed request.
    static func badRelayRequest(_ problem: String) -> Status {
        Status.badRequest("portcullis relay: \(problem)")
    }

    static func relayUnreachable(_ relay: RelayRoute, _ error: any Error) -> Status {
        Status.serviceUnavailable("portcullis: cannot reach \(relay.description) for cluster \(relay.cluster): \(error)")
    }

    static func relayFailed(_ relay: RelayRoute, _ error: any Error) -> Status {
        Status.badGateway("portcullis: \(relay.description) failed for cluster \(relay.cluster): \(error)")
    }

    static func unrecorded(_ error: any Error) -> Status {
        Status.serviceUnavailable("portcullis: the request could not be recorded, so it was not forwarded: \(error)")
    }

    static func responseUnrecorded(_ error: any Error) -> Status {
        Status.serviceUnavailable("portcullis: the API server answered, but its response could not be recorded, so it is withheld "
                                  + "(the request may have taken effect): \(error)")
    }

    static func upstreamUnreachable(_ destination: String, _ error: any Error) -> Status {
        Status.serviceUnavailable("portcullis: cannot reach the API server \(destination): \(error)")
    }

    static func upstreamFailed(_ destination: String, _ error: any Error) -> Status {
        Status.badGateway("portcullis: the API server \(destination) failed: \(error)")
    }

    /// `portcullis: delete on namespaces "prod" denied by rule no-delete-prod: <reason>`.
    static func denied(_ decision: PolicyDecision, _ info: RequestInfo) -> Status {
        forbidden(info, "portcullis: \(target(info)) denied by \(decision.sourceText)" + (decision.reason.map { ": \($0)" } ?? ""))
    }

    /// Over the review cap: denied at once.
    static func reviewFull(_ decision: PolicyDecision, _ info: RequestInfo) -> Status {
        forbidden(info, "portcullis: \(target(info)) denied: it needs review by \(decision.sourceText), but " + (decision.reason ?? "too many requests are held"))
    }

    /// A reviewer's denial, or a review that timed out.
    static func reviewDenied(_ verdict: ReviewVerdict, rule: String, timeout: Duration, _ info: RequestInfo) -> Status {
        switch verdict {
        case .timedOut:
            return forbidden(info, "portcullis: \(target(info)) denied: it was held for review by rule \(rule) and nobody decided within \(DurationWords.text(timeout))")
        default:
            let who = verdict.reviewer.map { "a reviewer (\($0))" } ?? "a reviewer"
            return forbidden(info, "portcullis: \(target(info)) denied by \(who) after review by rule \(rule)" + (verdict.reason.map { ": \($0)" } ?? ""))
        }
    }

    /// "delete on namespaces \"prod\"", "create on pods/exec \"web-1\" in namespace \"demo\"", "get on path \"/version\"".
    static func target(_ info: RequestInfo) -> String {
        guard info.isResourceRequest else { return "\(info.verb) on path \(goQuote(info.path))" }
        var resource = info.groupResource.description
        if !info.subresource.isEmpty { resource += "/\(info.subresource)" }
        var text = "\(info.verb) on \(resource)"
        if !info.name.isEmpty { text += " \(goQuote(info.name))" }
        if !info.namespace.isEmpty, info.resource != "namespaces" { text += " in namespace \(goQuote(info.namespace))" }
        return text
    }

    private static func forbidden(_ info: RequestInfo, _ message: String) -> Status {
        Status(message: message, reason: "Forbidden",
               details: StatusDetails(name: info.name.isEmpty ? nil : info.name, group: info.apiGroup, kind: info.resource), code: 403)
    }
}
