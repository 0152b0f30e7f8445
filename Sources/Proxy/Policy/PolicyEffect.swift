/// What a policy rule, a grant or the default does with a request it decides.
public enum PolicyEffect: String, Sendable, Hashable, CaseIterable {
    /// Forward it.
    case allow
    /// Answer 403 with the rule's reason.
    case deny
    /// Hold it until a reviewer approves or denies it, or its time runs out (a denial).
    case review
}
