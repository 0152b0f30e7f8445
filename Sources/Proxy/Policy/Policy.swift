/// An ordered list of rules: the first rule that matches decides, and the default effect decides
/// what no rule matches. Plain data; ``AccessPolicy`` holds the one in force.
public struct Policy: Sendable, Hashable {
    public var defaultEffect: PolicyEffect
    /// Shown with a default denial.
    public var defaultReason: String?
    public var rules: [PolicyRule]
    public var review: ReviewSettings

    public init(defaultEffect: PolicyEffect = .deny, defaultReason: String? = nil, rules: [PolicyRule] = [],
                review: ReviewSettings = ReviewSettings()) {
        self.defaultEffect = defaultEffect
        self.defaultReason = defaultReason
        self.rules = rules
        self.review = review
    }

    /// The rule that decides `request`, or the default.
    public func decide(_ request: AccessRequest) -> PolicyDecision {
        if let rule = rules.first(where: { $0.matches(request) }) {
            return PolicyDecision(effect: rule.effect, source: .rule(rule.id), reason: rule.reason)
        }
        return PolicyDecision(effect: defaultEffect, source: .defaultEffect,
                              reason: defaultReason ?? (defaultEffect == .deny ? "no rule allows it" : nil))
    }
}
