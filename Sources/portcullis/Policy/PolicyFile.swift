import Crypto
import Foundation
import Proxy
import Yams

/// Reads a policy file (docs/policy.md): strictly, so that every error names the file, the line
/// and the field, and unknown fields are errors.
enum PolicyFile {
    /// Verbs a rule may name: Kubernetes verbs, and the HTTP methods of non-resource URLs.
    static let knownVerbs: Set<String> = [
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "proxy",
        "impersonate", "bind", "escalate", "use", "approve", "sign", "attest",
        "post", "put", "head", "options", "*",
    ]

    /// The policy and the SHA-256 of the file's bytes (hex).
    static func load(path: String) throws(ConfigurationError) -> (policy: Policy, digest: String) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(file: path, line: nil, field: "", message: "cannot read the policy file: \(error.localizedDescription)")
        }
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, line: nil, field: "", message: "the policy file is not UTF-8 text")
        }
        return (try parse(text, file: path), digest)
    }

    static func parse(_ text: String, file: String) throws(ConfigurationError) -> Policy {
        let root = try YAMLValue.parse(text, file: file)
        let fields = try root.mapping(allowed: ["defaultEffect", "defaultReason", "review", "rules"])
        var policy = Policy()
        if let v = fields["defaultEffect"] { policy.defaultEffect = try effect(v) }
        if let v = fields["defaultReason"] { policy.defaultReason = try v.string() }
        if let v = fields["review"] { policy.review = try review(v) }
        guard let rulesNode = fields["rules"] else {
            throw ConfigurationError(file: file, line: root.node.mark?.line, field: "rules",
                                     message: "required: the ordered list of rules (it may be empty: [])")
        }
        var seen: [String: Int] = [:]
        for node in try rulesNode.sequence() {
            let rule = try self.rule(node)
            if let line = seen[rule.id] {
                throw node.error("the rule id '\(rule.id)' is used twice (first at line \(line))")
            }
            seen[rule.id] = node.node.mark?.line ?? 0
            policy.rules.append(rule)
        }
        return policy
    }

    private static func effect(_ value: YAMLValue) throws(ConfigurationError) -> PolicyEffect {
        let text = try value.string()
        guard let effect = PolicyEffect(rawValue: text) else {
            throw value.error("expected allow, deny or review, got '\(text)'")
        }
        return effect
    }

    private static func review(_ value: YAMLValue) throws(ConfigurationError) -> ReviewSettings {
        let fields = try value.mapping(allowed: ["timeout", "maxHeld"])
        var settings = ReviewSettings()
        if let v = fields["timeout"] {
            settings.timeout = try v.duration()
            guard settings.timeout >= .seconds(1), settings.timeout <= .seconds(86_400) else {
                throw v.error("expected from 1s to 24h")
            }
        }
        if let v = fields["maxHeld"] { settings.maxHeld = Int(try v.unsigned(UInt16.self, in: 1...10_000)) }
        return settings
    }

    private static func rule(_ value: YAMLValue) throws(ConfigurationError) -> PolicyRule {
        let fields = try value.mapping(allowed: ["id", "effect", "subjects", "verbs", "apiGroups", "resources", "namespaces", "names",
                                                 "nonResourceURLs", "reason"])
        guard let idNode = fields["id"] else { throw value.error("id is required: a name for the rule, shown in every decision") }
        let id = try idNode.string()
        guard !id.isEmpty, id.count <= 63, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }),
              !id.hasPrefix("grant:"), id != "default" else {
            throw idNode.error("expected 1 to 63 letters, digits, '-', '_', '.' or ':' (not 'default', not starting with 'grant:'), got '\(id)'")
        }
        guard let effectNode = fields["effect"] else { throw value.error("effect is required: allow, deny or review") }
        var rule = PolicyRule(id: id, effect: try effect(effectNode), location: "\(value.file):\(value.node.mark?.line ?? 0)")
        if let v = fields["subjects"] {
            let subjects = try v.mapping(allowed: ["users", "groups"])
            rule.users = try subjects["users"].map(nonEmptyStrings) ?? []
            rule.groups = try subjects["groups"].map(nonEmptyStrings) ?? []
        }
        if let v = fields["verbs"] {
            rule.verbs = try nonEmptyStrings(v)
            if let unknown = rule.verbs.first(where: { !knownVerbs.contains($0) }) {
                throw v.error("unknown verb '\(unknown)' (known: \(knownVerbs.sorted().joined(separator: ", ")))")
            }
        }
        if let v = fields["apiGroups"] { rule.apiGroups = try v.strings() }
        if let v = fields["resources"] {
            rule.resources = try nonEmptyStrings(v)
            if let bad = rule.resources.first(where: { $0 != $0.lowercased() || $0.split(separator: "/", omittingEmptySubsequences: false).count > 2 }) {
                throw v.error("'\(bad)' is not a resource: use lowercase plurals, with a subresource after '/' (pods, pods/exec, deployments/scale)")
            }
        }
        if let v = fields["namespaces"] { rule.namespaces = try v.strings() }
        if let v = fields["names"] { rule.names = try nonEmptyStrings(v) }
        if let v = fields["nonResourceURLs"] {
            rule.nonResourceURLs = try nonEmptyStrings(v)
            if let bad = rule.nonResourceURLs.first(where: { !$0.hasPrefix("/") && $0 != "*" }) {
                throw v.error("'\(bad)' is not a URL path: write /version, or a prefix such as /openapi/*")
            }
            if let bad = rule.nonResourceURLs.first(where: { $0.dropLast().contains("*") }) {
                throw v.error("'\(bad)': '*' may only end a URL prefix")
            }
            if rule.hasResourceFields {
                throw v.error("a rule decides either resource requests (apiGroups, resources, namespaces, names) or non-resource URLs, not both")
            }
        }
        if let v = fields["reason"] { rule.reason = try v.string() }
        return rule
    }

    private static func nonEmptyStrings(_ value: YAMLValue) throws(ConfigurationError) -> [String] {
        let items = try value.strings()
        guard !items.contains("") else { throw value.error("expected non-empty strings") }
        return items
    }
}
