import Foundation
import Kube
import Yams

/// What each user may do, as a SelfSubjectRulesReview reports it (`--rules-file`): per username,
/// the `resourceRules` and `nonResourceRules` of authorization.k8s.io/v1's
/// SubjectRulesReviewStatus. The sandbox only reports these rules; it enforces none (it has no RBAC).
///
/// ```yaml
/// users:
///   portcullis-gateway:
///     resourceRules:
///     - verbs: [impersonate]
///       apiGroups: [""]
///       resources: [groups]
///       resourceNames: ["oidc:ai-agents"]
///     nonResourceRules: []
/// ```
public struct SandboxRules: Sendable, Hashable {
    public struct Rules: Sendable, Hashable {
        public var resourceRules: [JSONValue]
        public var nonResourceRules: [JSONValue]
    }

    public var users: [String: Rules]

    public init(users: [String: Rules]) { self.users = users }

    /// Reads and checks a rules file, naming the file and the field that is wrong.
    public static func load(path: String) throws(SandboxSetupError) -> SandboxRules {
        guard let data = FileManager.default.contents(atPath: path) else { throw SandboxSetupError("--rules-file \(path): cannot read it") }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw SandboxSetupError("--rules-file \(path): \(error.message)")
        }
    }

    static func parse(_ text: String) throws(SandboxSetupError) -> SandboxRules {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw SandboxSetupError("not YAML: \(error)")
        }
        guard let root = loaded as? [String: Any], let users = root["users"] as? [String: Any], root.count == 1 else {
            throw SandboxSetupError("expected a mapping with one key, users: a mapping of usernames to their rules")
        }
        var out: [String: Rules] = [:]
        for (user, value) in users {
            guard let fields = value as? [String: Any], Set(fields.keys).isSubset(of: ["resourceRules", "nonResourceRules"]) else {
                throw SandboxSetupError("users.\(user): expected resourceRules and nonResourceRules")
            }
            out[user] = Rules(resourceRules: try rules(fields["resourceRules"], at: "users.\(user).resourceRules",
                                                       lists: ["verbs", "apiGroups", "resources", "resourceNames"], required: ["verbs"]),
                              nonResourceRules: try rules(fields["nonResourceRules"], at: "users.\(user).nonResourceRules",
                                                          lists: ["verbs", "nonResourceURLs"], required: ["verbs", "nonResourceURLs"]))
        }
        return SandboxRules(users: out)
    }

    private static func rules(_ value: Any?, at path: String, lists: [String], required: [String]) throws(SandboxSetupError) -> [JSONValue] {
        guard let value else { return [] }
        guard let items = value as? [Any] else { throw SandboxSetupError("\(path): expected a list of rules") }
        var out: [JSONValue] = []
        for (index, item) in items.enumerated() {
            guard let rule = item as? [String: Any] else { throw SandboxSetupError("\(path)[\(index)]: expected a mapping") }
            var members: [String: JSONValue] = [:]
            for (key, list) in rule {
                guard lists.contains(key) else { throw SandboxSetupError("\(path)[\(index)].\(key): not a field of the rule (\(lists.joined(separator: ", ")))") }
                guard let strings = list as? [String] else { throw SandboxSetupError("\(path)[\(index)].\(key): expected a list of strings") }
                members[key] = .array(strings.map(JSONValue.string))
            }
            for key in required where members[key] == nil { throw SandboxSetupError("\(path)[\(index)]: \(key) is required") }
            out.append(.object(members))
        }
        return out
    }
}
