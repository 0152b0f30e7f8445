import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// `portcullis doctor --cluster sandbox` on the agent host, where the rules steer connections to
    /// the cluster: it asks the sandbox, with the gateway's own credential (the sandbox's `admin`
    /// token), a SelfSubjectRulesReview, answered from the sandbox's rules file. A least-privileged
    /// credential passes; an over-privileged one is named, right by right.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct DoctorClusterEndToEndTests {
        static let leastPrivileged = """
            users:
              admin:
                resourceRules:
                - verbs: [impersonate]
                  apiGroups: [""]
                  resources: [groups]
                  resourceNames: ["oidc:ai-agents", "oidc:developers"]
                - verbs: [impersonate]
                  apiGroups: [""]
                  resources: [users]
                  resourceNames: ["oidc:agent-7", "minted:ci"]
                - verbs: [impersonate]
                  apiGroups: [authentication.k8s.io]
                  resources: [userextras/email]
            """

        static let overPrivileged = """
            users:
              admin:
                resourceRules:
                - verbs: [impersonate]
                  apiGroups: [""]
                  resources: [users, groups]
                - verbs: [get, list]
                  apiGroups: [""]
                  resources: [secrets]
            """

        static func finding(_ bed: GatewayTestbed, kubeconfig: String) throws -> (JSONValue, HostCommandResult) {
            let result = try bed.portcullisOnAgentHost(["doctor", "--cluster", "sandbox", "--json", "--kubeconfig", kubeconfig,
                                                         "--agent-user", String(InterceptTestbed.agentUID)])
            let findings = try result.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
            let cluster = try #require(findings.first { $0["check"] == "cluster-credential:sandbox" }, "\(result)")
            return (cluster, result)
        }

        @Test("doctor --cluster passes a least-privileged credential and names what an over-privileged one may do")
        func leastPrivilegeBothWays() async throws {
            let scratch = try TemporaryDirectory.create(purpose: "doctor-rules")
            defer { scratch.remove() }
            let rules = try scratch.write(Self.leastPrivileged, to: "rules.yaml")
            guard chmod(scratch.path, 0o755) == 0, chmod(rules, 0o644) == 0 else { throw HarnessError("cannot open \(rules) to the sandbox") }
            try await GatewayTestbed.with(sandboxArguments: ["--rules-file", rules]) { bed in
                let clean = try scratch.write("apiVersion: v1\nkind: Config\nusers: []\n", to: "clean.kubeconfig")
                let (passing, first) = try Self.finding(bed, kubeconfig: clean)
                #expect(passing["ok"] == true, "\(first)")
                #expect(passing["message"]?.stringValue?.contains("may only impersonate groups [oidc:ai-agents, oidc:developers]") == true,
                        "\(first)")

                _ = try scratch.write(Self.overPrivileged, to: "rules.yaml")
                let (failing, second) = try Self.finding(bed, kubeconfig: clean)
                #expect(second.status == .exited(1))
                #expect(failing["ok"] == false)
                let message = failing["message"]?.stringValue ?? ""
                #expect(message.contains("any of groups (no resourceNames), system:masters included"), "\(message)")
                #expect(message.contains("any of users (no resourceNames), system: users included"), "\(message)")
                #expect(message.contains("rights of its own beyond impersonation: get,list on secrets"), "\(message)")
                #expect(failing["fix"]?.stringValue?.contains("docs/proxy.md") == true)
            }
        }
    }
}
