import Kube

/// One rule of a policy file, or the allow a grant stands for.
///
/// Matching (every listed selector must hold; an empty list matches anything, and so does `*`):
/// - `users` and `groups`: the request's user is listed, or one of its groups is. With neither,
///   every authenticated identity matches.
/// - `verbs`: Kubernetes verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
///   `deletecollection`); for non-resource URLs, the lowercase HTTP method (`get`, `post`, ...).
/// - `apiGroups` (`""` is the core group), `resources`, `namespaces`, `names`: as in RBAC.
///   `pods` does not cover `pods/exec`; `pods/*` covers every subresource of pods, `*/scale`
///   every `scale`. A request for a namespace object (`delete namespace prod`) has the namespace
///   `prod`, as in kube-apiserver; `""` in `namespaces` matches cluster-scoped requests.
/// - `nonResourceURLs`: paths such as `/version`, or prefixes ending in `*` (`/openapi/*`).
/// - A rule with any of `apiGroups`, `resources`, `namespaces` or `names` decides only resource
///   requests; a rule with `nonResourceURLs` only non-resource requests (a rule cannot have both);
///   a rule with neither decides both.
public struct PolicyRule: Sendable, Hashable {
    public var id: String
    public var effect: PolicyEffect
    public var users: [String]
    public var groups: [String]
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var namespaces: [String]
    public var names: [String]
    public var nonResourceURLs: [String]
    /// Shown to the agent in a denial, and to reviewers.
    public var reason: String?
    /// Where the rule is written, for operators: `policy.yaml:12`.
    public var location: String?

    public init(id: String, effect: PolicyEffect, users: [String] = [], groups: [String] = [], verbs: [String] = [],
                apiGroups: [String] = [], resources: [String] = [], namespaces: [String] = [], names: [String] = [],
                nonResourceURLs: [String] = [], reason: String? = nil, location: String? = nil) {
        self.id = id
        self.effect = effect
        self.users = users
        self.groups = groups
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.namespaces = namespaces
        self.names = names
        self.nonResourceURLs = nonResourceURLs
        self.reason = reason
        self.location = location
    }

    /// Whether the rule selects resource fields (and so decides only resource requests).
    public var hasResourceFields: Bool { !apiGroups.isEmpty || !resources.isEmpty || !namespaces.isEmpty || !names.isEmpty }

    public func matches(_ request: AccessRequest) -> Bool {
        guard matchesSubject(request), Self.listed(request.info.verb, in: verbs) else { return false }
        let info = request.info
        if info.isResourceRequest {
            guard nonResourceURLs.isEmpty else { return false }
            return Self.listed(info.apiGroup, in: apiGroups) && matchesResource(info) && Self.listed(info.namespace, in: namespaces)
                && Self.listed(info.name, in: names)
        }
        guard !hasResourceFields else { return false }
        return nonResourceURLs.isEmpty || nonResourceURLs.contains { Self.urlMatches($0, info.path) }
    }

    private func matchesSubject(_ request: AccessRequest) -> Bool {
        if users.isEmpty && groups.isEmpty { return true }
        return users.contains { $0 == "*" || $0 == request.username } || groups.contains { $0 == "*" || request.groups.contains($0) }
    }

    private func matchesResource(_ info: RequestInfo) -> Bool {
        guard !resources.isEmpty else { return true }
        let combined = info.subresource.isEmpty ? info.resource : "\(info.resource)/\(info.subresource)"
        return resources.contains { pattern in
            if pattern == "*" || pattern == combined { return true }
            guard !info.subresource.isEmpty else { return false }
            return pattern == "\(info.resource)/*" || pattern == "*/\(info.subresource)"
        }
    }

    static func listed(_ value: String, in list: [String]) -> Bool {
        list.isEmpty || list.contains { $0 == "*" || $0 == value }
    }

    static func urlMatches(_ pattern: String, _ path: String) -> Bool {
        if pattern == "*" || pattern == path { return true }
        guard pattern.hasSuffix("*") else { return false }
        return path.hasPrefix(pattern.dropLast())
    }
}
