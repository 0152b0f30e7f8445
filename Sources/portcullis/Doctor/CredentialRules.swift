import Kube
import Proxy

/// Judges what a SelfSubjectRulesReview says the gateway's own credential may do, against what
/// the gateway needs: `impersonate` on the users and groups its issuers produce (their prefixes),
/// on `userextras/<claim>` for the configured extraClaims, and nothing else.
///
/// Problems, each named: impersonating `system:masters`, any `system:` user or group, any user or
/// group at all (no resourceNames), users or groups outside the configured prefixes, service
/// accounts, uids, extras that are not configured; any right of its own beyond impersonation
/// (every authenticated user's self-reviews and discovery paths excepted); and an incomplete
/// answer, which cannot vouch for anything.
struct CredentialRules {
    struct ResourceRule: Equatable {
        var verbs: [String]
        var apiGroups: [String]
        var resources: [String]
        var resourceNames: [String]
    }

    struct NonResourceRule: Equatable {
        var verbs: [String]
        var urls: [String]
    }

    var resourceRules: [ResourceRule]
    var nonResourceRules: [NonResourceRule]
    var incomplete: Bool
    var evaluationError: String

    /// The rules every authenticated user holds in a real cluster (system:basic-user,
    /// system:discovery, system:public-info-viewer): not the credential's own.
    static let everyonesResources: Set<String> = ["authorization.k8s.io/selfsubjectaccessreviews", "authorization.k8s.io/selfsubjectrulesreviews",
                                                  "authentication.k8s.io/selfsubjectreviews"]
    static let everyonesPaths: Set<String> = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                                              "/readyz", "/version", "/version/"]

    /// Reads `status` of a SelfSubjectRulesReview.
    init(review: JSONValue) {
        let status = review["status"] ?? .null
        func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }
        resourceRules = (status["resourceRules"]?.arrayValue ?? []).map {
            ResourceRule(verbs: strings($0["verbs"]), apiGroups: strings($0["apiGroups"]), resources: strings($0["resources"]),
                         resourceNames: strings($0["resourceNames"]))
        }
        nonResourceRules = (status["nonResourceRules"]?.arrayValue ?? []).map {
            NonResourceRule(verbs: strings($0["verbs"]), urls: strings($0["nonResourceURLs"]))
        }
        incomplete = status["incomplete"]?.boolValue ?? false
        evaluationError = status["evaluationError"]?.stringValue ?? ""
    }

    /// What the gateway needs to impersonate, from the issuers.
    struct Needs {
        var usernamePrefixes: [String]
        var groupPrefixes: [String]
        var extraClaims: Set<String>

        init(issuers: [OIDCIssuerConfiguration]) {
            usernamePrefixes = issuers.map(\.effectiveUsernamePrefix)
            groupPrefixes = issuers.map(\.effectiveGroupsPrefix)
            extraClaims = Set(issuers.flatMap(\.extraClaims))
        }
    }

    /// Each problem, in words; empty when the credential is least-privileged.
    func problems(needs: Needs) -> [String] {
        var problems: [String] = []
        if incomplete {
            problems.append("the cluster's answer is incomplete (an authorizer could not list its rules\(evaluationError.isEmpty ? "" : ": \(evaluationError)")), so nothing can be vouched for")
        }
        var own: [String] = []
        for rule in resourceRules {
            let impersonates = rule.verbs.contains("impersonate") || rule.verbs.contains("*")
            let otherVerbs = rule.verbs.filter { $0 != "impersonate" }
            for group in rule.apiGroups.isEmpty ? [""] : rule.apiGroups {
                for resource in rule.resources {
                    if impersonates { problems += impersonation(group: group, resource: resource, names: rule.resourceNames, needs: needs) }
                    let key = "\(group)/\(resource)"
                    if !otherVerbs.isEmpty, !(Self.everyonesResources.contains(key) && otherVerbs == ["create"]) {
                        own.append("\(otherVerbs.joined(separator: ",")) on \(Self.describe(group: group, resource: resource, names: rule.resourceNames))")
                    }
                }
            }
        }
        for rule in nonResourceRules {
            let urls = rule.urls.filter { !Self.everyonesPaths.contains($0) || !Set(rule.verbs).isSubset(of: ["get"]) }
            if !urls.isEmpty { own.append("\(rule.verbs.joined(separator: ",")) on \(urls.joined(separator: ", "))") }
        }
        if !own.isEmpty { problems.append("it holds rights of its own beyond impersonation: " + own.joined(separator: "; ")) }
        return problems
    }

    private func impersonation(group: String, resource: String, names: [String], needs: Needs) -> [String] {
        let core = group == "" || group == "*", authentication = group == "authentication.k8s.io" || group == "*"
        var out: [String] = []
        if resource == "*" {
            return ["it may impersonate anything (\(Self.describe(group: group, resource: resource, names: names))): any user and group, system:masters included"]
        }
        if core, resource == "users" {
            out += judge("users", names: names, prefixes: needs.usernamePrefixes, masters: false)
        }
        if core, resource == "groups" {
            out += judge("groups", names: names, prefixes: needs.groupPrefixes, masters: true)
        }
        if core, resource == "serviceaccounts" {
            out.append("it may impersonate service accounts (\(names.isEmpty ? "any" : names.joined(separator: ", "))), which the gateway never does")
        }
        if authentication, resource == "uids" {
            out.append("it may impersonate uids (\(names.isEmpty ? "any" : names.joined(separator: ", "))), which the gateway never sends")
        }
        if authentication, resource.hasPrefix("userextras/") || resource == "userextras" {
            let key = String(resource.dropFirst("userextras/".count))
            if resource == "userextras" || key == "*" || !needs.extraClaims.contains(key) {
                let configured = needs.extraClaims.isEmpty ? "none are configured" : "extraClaims are \(needs.extraClaims.sorted().joined(separator: ", "))"
                out.append("it may impersonate the extra \(resource == "userextras" || key == "*" ? "of any key" : goQuote(key)), but \(configured)")
            }
        }
        return out
    }

    /// Problems with impersonating `users` or `groups` limited to `names` (none: any).
    private func judge(_ kind: String, names: [String], prefixes: [String], masters: Bool) -> [String] {
        guard !names.isEmpty else {
            return ["it may impersonate any of \(kind) (no resourceNames)\(masters ? ", system:masters included" : ", system: users included")"]
        }
        var out: [String] = []
        if masters, names.contains("system:masters") { out.append("it may impersonate the group system:masters (cluster-admin)") }
        let system = names.filter { $0.hasPrefix("system:") && !(masters && $0 == "system:masters") }
        if !system.isEmpty { out.append("it may impersonate \(kind) of the system: namespace: \(system.joined(separator: ", "))") }
        let meaningful = prefixes.filter { !$0.isEmpty }
        if meaningful.count == prefixes.count, !meaningful.isEmpty {
            let outside = names.filter { name in !name.hasPrefix("system:") && !meaningful.contains { name.hasPrefix($0) } }
            if !outside.isEmpty {
                out.append("it may impersonate \(kind) outside the configured prefixes (\(meaningful.joined(separator: ", "))): \(outside.joined(separator: ", "))")
            }
        }
        return out
    }

    static func describe(group: String, resource: String, names: [String]) -> String {
        let gr = group.isEmpty ? resource : "\(resource).\(group)"
        return names.isEmpty ? gr : "\(gr) [\(names.joined(separator: ", "))]"
    }
}
