/// One command of a run as `show RUN` folds it: the requests of one kubectl invocation (its
/// discovery calls, then the call), written as the command that made them.
public struct FoldedCommand: Sendable, Hashable {
    /// `kubectl delete pod web-1 -n demo`.
    public var text: String
    /// Every request of the command, in commit order.
    public var requests: [RecordedRequest]
    /// The requests that did what the command is for (its change, exec or read), not its
    /// discovery or the reads that prepare a change.
    public var principals: [RecordedRequest]

    public init(text: String, requests: [RecordedRequest], principals: [RecordedRequest]) {
        self.text = text
        self.requests = requests
        self.principals = principals
    }

    public var startedAt: Int64 { requests.first?.receivedAt ?? 0 }

    /// The status of its last principal request (or of its last request).
    public var status: Int? { (principals.last ?? requests.last)?.response?.statusCode }

    /// The gravest outcome of its principal requests (denied, rejected, unanswered, allowed).
    public var outcome: RequestOutcome {
        let considered = principals.isEmpty ? requests : principals
        return considered.map(\.outcome).min() ?? .allowed
    }

    /// `r12` or `r12-r19`: its first and last request.
    public var idText: String {
        guard let first = requests.first, let last = requests.last else { return "-" }
        return first.id == last.id ? first.reference.description : "\(first.reference)-\(last.reference)"
    }
}
