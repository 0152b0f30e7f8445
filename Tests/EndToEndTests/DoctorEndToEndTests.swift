import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// `portcullis doctor` in a throwaway network namespace: clean, then each problem it knows,
    /// made for real, is found and named with its fix.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct DoctorEndToEndTests {
        static let agent = InterceptTestbed.agentUID

        struct Findings {
            var exitCode: TestSupport.ExitStatus
            var byCheck: [String: JSONValue]
            func failed(_ check: String) -> Bool { byCheck[check]?["ok"] == false }
            func message(_ check: String) -> String { byCheck[check]?["message"]?.stringValue ?? "" }
        }

        static func doctor(_ host: NetworkNamespace, _ config: String, kubeconfig: String) throws -> Findings {
            let result = try host.run(try Products.gateway(), ["doctor", "--config", config, "--agent-user", String(agent),
                                                               "--kubeconfig", kubeconfig, "--json"])
            var byCheck: [String: JSONValue] = [:]
            for line in result.standardOutput.split(separator: "\n") {
                let finding = try JSONParser.parse(String(line))
                byCheck[finding["check"]?.stringValue ?? ""] = finding
            }
            return Findings(exitCode: result.status, byCheck: byCheck)
        }

        @Test("doctor passes a clean host, then finds mixed iptables backends, a readable credential, an agent with CAP_NET_RAW and a kubeconfig with a static token")
        func findsEachProblem() async throws {
            let host = try NetworkNamespace.create(role: "doctor")
            defer { host.remove() }
            let work = try TemporaryDirectory.create(purpose: "doctor")
            defer { work.remove() }
            let key = try work.write("-----BEGIN PRIVATE KEY-----\n", to: "ca.key")
            let token = try work.write("static-token\n", to: "cluster.token")
            for path in [key, token] { guard chmod(path, 0o600) == 0, chown(path, InterceptTestbed.gatewayUID, InterceptTestbed.gatewayUID) == 0 else { throw HarnessError("cannot prepare \(path)") } }
            let config = try work.write("""
                gateway:
                  uid: \(InterceptTestbed.gatewayUID)
                tls:
                  caCertificate: \(work.path("ca.crt"))
                  caKey: \(key)
                clusters:
                  - name: sandbox
                    endpoints: ["198.18.0.2:6443"]
                    caFile: \(work.path("ca.crt"))
                    tokenFile: \(token)
                """, to: "portcullis.yaml")
            let pluginConfig = try work.write("""
                apiVersion: v1
                kind: Config
                users:
                - name: agent
                  user:
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: kubectl-oidc
                """, to: "plugin.kubeconfig")

            let clean = try Self.doctor(host, config, kubeconfig: pluginConfig)
            #expect(clean.exitCode == .exited(0), "\(clean.byCheck)")
            #expect(clean.byCheck.count == 5 && clean.byCheck.values.allSatisfy { $0["ok"] == true }, "\(clean.byCheck)")

            // Both backends hold rules.
            _ = try host.run("/usr/sbin/iptables-legacy", ["-A", "OUTPUT", "-d", "198.51.100.1", "-j", "ACCEPT"])
            _ = try host.run("/usr/sbin/iptables-nft", ["-A", "OUTPUT", "-d", "198.51.100.2", "-j", "ACCEPT"])
            // The cluster token readable by everyone.
            guard chmod(token, 0o644) == 0 else { throw HarnessError("cannot chmod \(token)") }
            // An agent process holding CAP_NET_RAW.
            let capable = try host.launch("/bin/sleep", ["60"], options: LaunchOptions(
                runAs: RunAs(uid: Self.agent, gid: Self.agent, ambientCapabilities: ["net_raw"]), label: "agent with CAP_NET_RAW"))
            defer { capable.kill() }
            // A kubeconfig with a static token.
            let staticConfig = try work.write("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: abc\n", to: "static.kubeconfig")
            try await StoreEndToEndTests.eventually("the agent process holds its capability") {
                (try? String(contentsOfFile: "/proc/\(capable.processIdentifier)/status", encoding: .utf8))?.contains("CapAmb:\t0000000000002000") == true
            }

            let found = try Self.doctor(host, config, kubeconfig: staticConfig)
            #expect(found.exitCode == .exited(1))
            #expect(found.failed("iptables-backends") && found.message("iptables-backends").contains("both iptables backends hold rules"))
            #expect(found.failed("credential-files") && found.message("credential-files").contains("\(token) (readable by uid \(Self.agent))"),
                    "\(found.message("credential-files"))")
            #expect(found.failed("agent-capabilities") && found.message("agent-capabilities").contains("pid \(capable.processIdentifier) (sleep, uid \(Self.agent))"),
                    "\(found.message("agent-capabilities"))")
            #expect(found.failed("kubeconfigs") && found.message("kubeconfigs").contains(#"user "admin" embeds token"#))
            #expect(found.byCheck.values.filter { $0["ok"] == false }.allSatisfy { $0["fix"]?.stringValue?.isEmpty == false })
            #expect(!found.failed("ipv6"))
        }
    }
}
