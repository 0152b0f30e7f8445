import Kube

/// One field of an object that a change set, altered or removed. `before` is nil for a field the
/// change added, `after` nil for one it removed.
public struct FieldChange: Sendable, Hashable {
    /// `spec.replicas`, `spec.template.spec.containers[0].image`, `metadata.labels["app.kubernetes.io/name"]`.
    public var path: String
    public var before: JSONValue?
    public var after: JSONValue?

    public init(path: String, before: JSONValue?, after: JSONValue?) {
        self.path = path
        self.before = before
        self.after = after
    }

    /// `spec.replicas: 1 → 3`, `metadata.labels.tier: + "web"`, `spec.paused: - true`.
    public var text: String {
        switch (before, after) {
        case (let b?, let a?): "\(path): \(ObjectFields.valueText(b)) → \(ObjectFields.valueText(a))"
        case (nil, let a?): "\(path): + \(ObjectFields.valueText(a))"
        case (let b?, nil): "\(path): - \(ObjectFields.valueText(b))"
        case (nil, nil): path
        }
    }
}
