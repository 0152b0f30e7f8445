/// How a recorded request ended, from the gateway's point of view. The cases are disjoint and
/// checked in this order: a policy denial is `denied` even though the gateway answered it itself.
public enum RequestOutcome: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Refused by policy (`requests.decision = 'deny'`).
    case denied
    /// Refused by the gateway itself (`responses.rejected = 1`): no token, a bad token, the store
    /// unavailable, the upstream unreachable.
    case rejected
    /// Forwarded and answered by the API server, whatever its status code.
    case allowed
    /// No response recorded: still running, or the gateway stopped before the response ended.
    case unanswered

    public static func < (a: RequestOutcome, b: RequestOutcome) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .denied: 0
        case .rejected: 1
        case .allowed: 2
        case .unanswered: 3
        }
    }

    /// The final decision of `requests r` joined with `reviews v` (see ``reviewJoin``): a
    /// reviewer's (or the timeout's) for a held request, else the policy's.
    static let decisionSQL = "COALESCE(v.decision, r.decision)"
    static let reviewJoin = "LEFT JOIN reviews v ON v.request_id = r.id"
    /// `requests r` with its response `p` and its review `v`, for the conditions below.
    static let requestJoins = "requests r LEFT JOIN responses p ON p.request_id = r.id \(reviewJoin)"

    /// The SQL condition on `requests r`, `responses p` and `reviews v` (``requestJoins``) that
    /// holds for requests with this outcome: ``classify(decision:rejected:)`` in SQL.
    var condition: String {
        let d = Self.decisionSQL
        switch self {
        case .denied: return "\(d) = 'deny'"
        case .rejected: return "(\(d) IS NOT 'deny' AND p.rejected = 1)"
        case .allowed: return "(\(d) IS NOT 'deny' AND p.rejected = 0)"
        case .unanswered: return "(\(d) IS NOT 'deny' AND p.request_id IS NULL)"
        }
    }

    /// Columns counting the requests of each outcome, named by the outcome.
    static var countColumns: String {
        allCases.map { "SUM(CASE WHEN \($0.condition) THEN 1 ELSE 0 END) AS \($0.rawValue)" }.joined(separator: ", ")
    }

    static func classify(decision: String?, rejected: Bool?) -> RequestOutcome {
        if decision == "deny" { return .denied }
        switch rejected {
        case true?: return .rejected
        case false?: return .allowed
        case nil: return .unanswered
        }
    }
}
