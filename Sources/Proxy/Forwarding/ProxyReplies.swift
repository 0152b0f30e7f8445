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
        "portcullis: Impersonate-* headers are not allowed: the gateway impersonates the verified user itself")

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

    static let bodyTooLarge = Status.requestEntityTooLarge("limit is 3145728")
}
