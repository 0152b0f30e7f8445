import Foundation
import Kube
import Proxy
import Testing
import TestSupport

@testable import portcullis

/// Policy files are read strictly: errors name the file, the line and the field; unknown fields
/// are errors. `policy explain` understands kubectl-like requests.
@Suite struct PolicyFileTests {
    func error(_ yaml: String) -> String {
        do {
            _ = try PolicyFile.parse(yaml, file: "policy.yaml")
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func theExampleLoadsAndDecidesAsItsCommentsSay() throws {
        let (policy, digest) = try PolicyFile.load(path: try Products.packageRoot() + "/examples/policy.yaml")
        #expect(digest.count == 64 && policy.defaultEffect == .deny && policy.review == ReviewSettings(timeout: .seconds(300), maxHeld: 16))
        func decide(_ words: [String]) throws -> String {
            let request = AccessRequest(username: "oidc:agent-7", groups: ["oidc:ai-agents"], info: try ExplainRequest.parse(words))
            let decision = policy.decide(request)
            return "\(decision.effect.rawValue) \(decision.recordedSource)"
        }
        #expect(try decide(["delete", "namespace", "prod"]) == "deny no-delete-prod")
        #expect(try decide(["delete", "pod", "web-1", "-n", "demo"]) == "review deletes-need-review")
        #expect(try decide(["exec", "web-1", "-n", "demo"]) == "review exec-needs-review")
        #expect(try decide(["get", "pods", "-A"]) == "allow agents-read")
        #expect(try decide(["get", "secrets", "-n", "demo"]) == "deny no-secrets")
        #expect(try decide(["create", "deployments", "-n", "demo"]) == "allow agents-change-workloads")
        #expect(try decide(["create", "deployments", "-n", "prod"]) == "deny default")
        #expect(try decide(["get", "/version"]) == "allow agents-read", "a rule without resource fields decides URLs too")
        #expect(try decide(["DELETE", "/api/v1/namespaces/prod"]) == "deny no-delete-prod")
    }

    @Test("errors name the line and the field", arguments: [
        ("rules:\n  - id: a\n    effect: maybe\n", "policy.yaml:3: rules[0].effect: expected allow, deny or review, got 'maybe'"),
        ("rules:\n  - id: a\n    effect: allow\n    verb: [get]\n", "policy.yaml:4: rules[0].verb: unknown field"),
        ("rules:\n  - effect: allow\n", "policy.yaml:2: rules[0]: id is required"),
        ("rules:\n  - id: a\n    effect: allow\n  - id: a\n    effect: deny\n", "policy.yaml:4: rules[1]: the rule id 'a' is used twice (first at line 2)"),
        ("rules:\n  - id: a\n    effect: allow\n    verbs: [gets]\n", "policy.yaml:4: rules[0].verbs: unknown verb 'gets'"),
        ("rules:\n  - id: a\n    effect: allow\n    resources: [pods]\n    nonResourceURLs: [/version]\n",
         "policy.yaml:5: rules[0].nonResourceURLs: a rule decides either resource requests"),
        ("rules:\n  - id: a\n    effect: allow\n    resources: [Pods]\n", "policy.yaml:4: rules[0].resources: 'Pods' is not a resource"),
        ("defaultEffect: allow\n", "policy.yaml:1: rules: required"),
        ("review:\n  timeout: 0s\nrules: []\n", "policy.yaml:2: review.timeout: expected from 1s to 24h"),
        ("colour: red\nrules: []\n", "policy.yaml:1: colour: unknown field"),
        ("rules: [\n", "policy.yaml"),
    ])
    func errors(yaml: String, expected: String) {
        let message = error(yaml)
        #expect(message.hasPrefix(expected), "\(message)")
    }

    @Test func explainUnderstandsKubectlWords() throws {
        let delete = try ExplainRequest.parse(["delete", "ns", "prod"])
        #expect(delete.verb == "delete" && delete.resource == "namespaces" && delete.namespace == "prod" && delete.name == "prod")
        let list = try ExplainRequest.parse(["get", "deploy", "-n", "demo"])
        #expect(list.verb == "list" && list.apiGroup == "apps" && list.namespace == "demo")
        let watch = try ExplainRequest.parse(["get", "pods", "-w", "-A"])
        #expect(watch.verb == "watch" && watch.namespace == "")
        let logs = try ExplainRequest.parse(["logs", "web-1"])
        #expect(logs.verb == "get" && logs.subresource == "log" && logs.namespace == "default")
        let nodes = try ExplainRequest.parse(["get", "node", "n1", "-n", "demo"])
        #expect(nodes.namespace == "", "nodes are cluster-scoped")
        #expect(throws: ExplainRequest.ParseError.self) { try ExplainRequest.parse(["get"]) }
        #expect(throws: ExplainRequest.ParseError.self) { try ExplainRequest.parse(["get", "pods", "--output=json"]) }
    }

    @Test func theGatewayConfigurationNamesThePolicyAndTheAdminSocket() throws {
        let directory = try TemporaryDirectory.create(purpose: "config")
        defer { directory.remove() }
        let base = "gateway:\n  uid: 990\n  stateDirectory: /var/lib/pc\nclusters:\n  - name: a\n    endpoints: [\"10.0.0.1:6443\"]\n"
        let plain = try GatewayConfiguration.load(path: try directory.write(base, to: "a.yaml"))
        #expect(plain.policy == nil && plain.adminSocketPath == "/var/lib/pc/admin/admin.sock")
        let full = try GatewayConfiguration.load(path: try directory.write(
            base + "policy:\n  file: /etc/pc/policy.yaml\nadmin:\n  socket: /run/pc.sock\n  group: \"64992\"\n", to: "b.yaml"))
        #expect(full.policy?.file == "/etc/pc/policy.yaml" && full.adminSocketPath == "/run/pc.sock")
        #expect(try full.admin.resolveGroup()?.gid == 64992)
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(path: try directory.write(base + "policy:\n  file: relative.yaml\n", to: "c.yaml"))
        }
        #expect(PolicyFileOptions.isPolicyFile(try directory.write("rules: []\n", to: "p.yaml")))
        #expect(!PolicyFileOptions.isPolicyFile(directory.path("a.yaml")))
    }
}
