/// How a held request ended.
public enum ReviewVerdict: Sendable, Hashable {
    case approved(by: Principal, reason: String?)
    case denied(by: Principal, reason: String?)
    /// Nobody decided in time: a denial.
    case timedOut
    /// The client closed its connection while it waited; nothing was forwarded.
    case withdrawn

    /// As recorded: `approved`, `denied`, `timed_out`, `withdrawn`.
    public var outcome: String {
        switch self {
        case .approved: "approved"
        case .denied: "denied"
        case .timedOut: "timed_out"
        case .withdrawn: "withdrawn"
        }
    }

    /// The effect it amounts to; nil for a withdrawn request.
    public var effect: PolicyEffect? {
        switch self {
        case .approved: .allow
        case .denied, .timedOut: .deny
        case .withdrawn: nil
        }
    }

    /// Who decided: a local uid or a central database role.
    public var reviewer: Principal? {
        switch self {
        case .approved(let who, _), .denied(let who, _): who
        case .timedOut, .withdrawn: nil
        }
    }

    public var reason: String? {
        switch self {
        case .approved(_, let reason), .denied(_, let reason): reason
        case .timedOut, .withdrawn: nil
        }
    }
}
