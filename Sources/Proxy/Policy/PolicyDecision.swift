/// What policy decided for one request, and what decided it. Recorded with the request.
public struct PolicyDecision: Sendable, Hashable, CustomStringConvertible {
    public enum Source: Sendable, Hashable {
        case rule(String)
        case grant(String)
        case defaultEffect
        /// The gateway itself, for requests over the review cap.
        case reviewCapacity(rule: String)
    }

    public var effect: PolicyEffect
    public var source: Source
    public var reason: String?

    public init(effect: PolicyEffect, source: Source, reason: String?) {
        self.effect = effect
        self.source = source
        self.reason = reason
    }

    /// How the source is recorded (`requests.decision_rule`): the rule id, `grant:ID` or `default`.
    public var recordedSource: String {
        switch source {
        case .rule(let id), .reviewCapacity(let id): id
        case .grant(let id): "grant:\(id)"
        case .defaultEffect: "default"
        }
    }

    /// "rule no-delete-prod", "grant g-1a2b3c4d", "the default effect".
    public var sourceText: String {
        switch source {
        case .rule(let id), .reviewCapacity(let id): "rule \(id)"
        case .grant(let id): "grant \(id)"
        case .defaultEffect: "the default effect"
        }
    }

    public var description: String {
        "\(effect.rawValue) by \(sourceText)" + (reason.map { ": \($0)" } ?? "")
    }
}
