/// The values of `--outcome`.
public enum SessionOutcome: String, Sendable, Hashable, CaseIterable {
    /// A request forwarded and answered by the API server.
    case allowed
    /// A request refused by policy.
    case denied
    /// A request refused by the gateway itself, or a refused connection.
    case rejected
    /// A guard (bypass) event.
    case bypass
    /// A refused connection only.
    case refused
    /// A request without a recorded response.
    case unanswered

    var requestOutcome: RequestOutcome? {
        switch self {
        case .allowed: return .allowed
        case .denied: return .denied
        case .rejected: return .rejected
        case .unanswered: return .unanswered
        case .bypass, .refused: return nil
        }
    }
}
