import Kube

/// A time-boxed allow, checked before the policy's rules. It ends on its own at ``expiresAt``, or
/// earlier when revoked. Its selectors mean what a ``PolicyRule``'s do; an empty list matches anything.
public struct Grant: Sendable, Hashable {
    /// `g-` and 8 hex digits.
    public var id: String
    public var subject: GrantSubject
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    /// Empty: every namespace, and cluster-scoped requests.
    public var namespaces: [String]
    public var names: [String]
    public var nonResourceURLs: [String]
    public var reason: String
    public var createdAt: KubeTime
    public var expiresAt: KubeTime
    /// Whoever made it: a local uid over the admin socket, or a central database role.
    public var createdBy: Principal
    /// The hosts it applies to when made through the central store (nil: every host); always nil
    /// for a grant made over a gateway's own admin socket, which applies to that gateway only.
    public var host: String?

    public init(id: String, subject: GrantSubject, verbs: [String], apiGroups: [String] = [], resources: [String] = [],
                namespaces: [String] = [], names: [String] = [], nonResourceURLs: [String] = [], reason: String,
                createdAt: KubeTime, expiresAt: KubeTime, createdBy: Principal, host: String? = nil) {
        self.id = id
        self.subject = subject
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.namespaces = namespaces
        self.names = names
        self.nonResourceURLs = nonResourceURLs
        self.reason = reason
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.createdBy = createdBy
        self.host = host
    }

    /// The allow rule the grant stands for.
    public var rule: PolicyRule {
        PolicyRule(id: id, effect: .allow, users: subject.kind == "user" ? [subject.name] : [],
                   groups: subject.kind == "group" ? [subject.name] : [], verbs: verbs, apiGroups: apiGroups, resources: resources,
                   namespaces: namespaces, names: names, nonResourceURLs: nonResourceURLs, reason: reason)
    }

    public func isActive(at time: KubeTime) -> Bool { time.microseconds < expiresAt.microseconds }

    /// A fresh grant id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt32
        let hex = String(value, radix: 16)
        return "g-" + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
