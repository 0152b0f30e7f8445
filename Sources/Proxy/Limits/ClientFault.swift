import Kube
import NIOHTTP1

/// Something a client did wrong, which the gateway answers itself (or ends the connection for), as
/// kube-apiserver's Go `net/http` server would, but with a Kubernetes Status that kubectl prints.
///
/// Every answered fault closes the connection afterwards (`Connection: close`): after a framing
/// error nothing that follows on the connection can be trusted to be a request of its own.
enum ClientFault: Sendable, Equatable {
    /// The decoder refused the head or a chunked body (Go: 400 Bad Request). `headerNames` are the
    /// header fields that arrived, to name a framing conflict precisely.
    case malformed(HTTPParserError, headerNames: [String])
    /// The request line and header fields exceed the limit (Go: 431).
    case headerTooLarge(limit: Int)
    /// A Content-Length over the limit, or a body that grew past it (kube-apiserver: 413).
    case bodyTooLarge(limit: Int, declared: Int?)
    /// The head did not arrive in time (Go closes without an answer). Answered 408 only when some
    /// of it did arrive; a connection that sent nothing is just closed.
    case headTimeout(Duration, bytesSeen: Bool)
    /// The body arrived below the minimum rate after the grace period (Kestrel: 408).
    case bodyTooSlow(bytes: Int, elapsed: Duration, minimumRate: Int)

    /// The answer, or nil when the connection just ends.
    var status: Status? {
        switch self {
        case .malformed(.invalidEOFState, _):
            return nil
        case .malformed:
            return Status.badRequest("portcullis: the request is malformed: \(problem)")
        case .headerTooLarge(let limit):
            return Status.requestHeaderFieldsTooLarge("limit is \(limit)")
        case .bodyTooLarge(let limit, _):
            return Status.requestEntityTooLarge("limit is \(limit)")
        case .headTimeout(_, let bytesSeen):
            return bytesSeen ? Status.requestTimeout("portcullis: \(problem)") : nil
        case .bodyTooSlow:
            return Status.requestTimeout("portcullis: \(problem)")
        }
    }

    /// What was wrong, for the record and the log.
    var problem: String {
        switch self {
        case .malformed(let error, let names):
            return Self.describe(error, headerNames: names)
        case .headerTooLarge(let limit):
            return "the request line and header fields are over \(limit) bytes"
        case .bodyTooLarge(let limit, let declared?):
            return "the request body is over the limit: Content-Length \(declared) > \(limit) bytes"
        case .bodyTooLarge(let limit, nil):
            return "the request body is over the limit: more than \(limit) bytes"
        case .headTimeout(let timeout, _):
            return "the request head was not complete within \(DurationWords.text(timeout))"
        case .bodyTooSlow(let bytes, let elapsed, let minimumRate):
            return "the request body arrived too slowly: \(bytes) bytes in \(DurationWords.text(elapsed)), "
                + "below the minimum of \(minimumRate) bytes/s"
        }
    }

    /// The recorded request's intent, in place of a kubectl-like one.
    var intent: String {
        switch self {
        case .malformed, .headerTooLarge: "malformed request"
        case .bodyTooLarge: "request body too large"
        case .headTimeout, .bodyTooSlow: "incomplete request"
        }
    }

    /// The fault a decoder error stands for.
    init(_ error: HTTPParserError, headerNames: [String], limits: ClientLimits) {
        if case .headerOverflow = error {
            self = .headerTooLarge(limit: limits.maxHeaderBytes)
        } else {
            self = .malformed(error, headerNames: headerNames)
        }
    }

    /// llhttp's errors, in words that name the framing conflict when there is one: it reports
    /// Content-Length with Transfer-Encoding as an invalid Content-Length or an unknown error,
    /// depending on their order.
    static func describe(_ error: HTTPParserError, headerNames: [String]) -> String {
        let contentLengths = headerNames.filter { $0 == "content-length" }.count
        if contentLengths > 0, headerNames.contains("transfer-encoding") {
            return "Content-Length together with Transfer-Encoding (refused, so that no second request can hide in its body)"
        }
        if contentLengths > 1 { return "Content-Length given more than once" }
        return "\(error.debugDescription)"
    }
}
