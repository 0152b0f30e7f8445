import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// The whole gateway, with real kubectl: iptables steers kubectl's connection to the cluster's own
    /// address into `portcullis up`, which terminates TLS, verifies the OIDC token from the exec plugin,
    /// and forwards to the sandbox impersonating the verified user.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct GatewayEndToEndTests {
        typealias Bed = GatewayTestbed

        static let manifest = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: demo
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: demo
            spec:
              containers:
              - name: main
                image: nginx
            """

        static func pod(_ name: String) -> String {
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \(name)\n  namespace: demo\nspec:\n  containers:\n  - name: main\n    image: nginx\n"
        }

        @discardableResult
        static func succeed(_ kubectl: Kubectl, _ arguments: [String], stdin: String? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> KubectlResult {
            let result = try await kubectl.run(arguments, stdin: stdin)
            #expect(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
            return result
        }

        @Test("kubectl 1.27 to 1.33 get, apply, watch, follow logs and exec through the gateway", arguments: Array(27...33))
        func everyKubectl(minor: Int) async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl(minor: minor)
                defer { kubectl.remove() }
                let namespaces = try await Self.succeed(kubectl, ["get", "ns"])
                #expect(namespaces.outputLines.first?.hasPrefix("NAME") == true && namespaces.standardOutput.contains("kube-system"),
                        "\(namespaces)")
                let applied = try await Self.succeed(kubectl, ["apply", "-f", "-"], stdin: Self.manifest)
                #expect(applied.outputLines == ["namespace/demo created", "pod/web-1 created"], "\(applied)")
                #expect(try await Self.succeed(kubectl, ["apply", "-f", "-"], stdin: Self.manifest).outputLines
                        == ["namespace/demo unchanged", "pod/web-1 unchanged"])

                let watch = try kubectl.start(["get", "pods", "-n", "demo", "-w"])
                _ = try await watch.waitForLine(containing: "web-1")
                try await Self.succeed(kubectl, ["create", "-f", "-"], stdin: Self.pod("web-2"))
                let row = try await watch.waitForLine(containing: "web-2")
                #expect(row.contains("Running"), "\(row)")
                await watch.terminate()

                let logs = try kubectl.start(["logs", "-f", "web-1", "-n", "demo"])
                _ = try await logs.waitForLine(containing: "line 2 from demo/web-1/main")
                #expect(logs.isRunning, "logs -f stays open\n\(logs.report)")
                await logs.terminate()

                let echo = try await Self.succeed(kubectl, ["exec", "web-1", "-n", "demo", "--", "echo", "hello from \(minor)"])
                #expect(echo.standardOutput == "hello from \(minor)\n", "\(echo)")
                let failing = try await kubectl.run(["exec", "web-1", "-n", "demo", "--", "sh", "-c", "exit 3"])
                #expect(failing.exitCode == 3, "\(failing)")
            }
        }

        @Test("the cluster sees the gateway impersonating the OIDC user, and never the agent's token")
        func clusterView() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Self.succeed(kubectl, ["get", "ns", "default"])
                let audit = bed.sandbox.auditLog
                let event = try await audit.waitForEvent { $0.requestURI == "/api/v1/namespaces/default" }
                #expect(event.user.username == "admin")
                #expect(event.impersonatedUser?.username == "oidc:\(Bed.subject)")
                #expect(event.impersonatedUser?.groups == ["oidc:ai-agents", "oidc:runners", "system:authenticated"])
                #expect(event.impersonatedUser?.extra == ["email": ["agent@example.com"]])
                #expect(event.sourceIPs == [TestHosts.agentAddress])
                let everyone = Set(try audit.events().map(\.user.username))
                #expect(everyone == ["admin"], "only the gateway's credential reached the cluster: \(everyone)")
                let requests = bed.events("request")
                #expect(requests.contains { $0["intent"] == "get namespace default" && $0["user"] == "oidc:agent-7" }, "\(bed.gateway.report)")
            }
        }

        @Test("a token that is not valid is refused and kubectl shows its usual error", arguments: [
            "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c",
        ])
        func refusedToken(token: String) async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let result = try await kubectl.run(["--token", token, "get", "ns"])
                #expect(result.exitCode == 1, "\(result)")
                #expect(result.standardError.contains("error: You must be logged in to the server"), "\(result)")
                #expect(!bed.events("request_rejected").isEmpty)
            }
        }

        @Test("an operator-supplied intermediate of the cluster CA: the agent's kubeconfig trusts only the cluster CA")
        func intermediateOfTheClusterCA() async throws {
            try await Bed.with(caMode: .intermediateOfClusterCA) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let result = try await Self.succeed(kubectl, ["get", "ns", "default"])
                #expect(result.standardOutput.contains("Active"), "\(result)")
            }
        }

        @Test("with the API server down, kubectl gets a clear Status error, not a hang")
        func upstreamDown() async throws {
            try await Bed.with { bed in
                await bed.sandbox.stop()
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let started = ContinuousClock.now
                let result = try await kubectl.run(["get", "ns", "--request-timeout=20s"])
                #expect(ContinuousClock.now - started < .seconds(15), "answered promptly")
                #expect(result.exitCode == 1, "\(result)")
                // With a cold discovery cache kubectl words a 503 its own way; the gateway's reason is in the record.
                #expect(result.standardError.contains("the server is currently unable to handle the request")
                        || result.standardError.contains("Error from server (ServiceUnavailable)"), "\(result)")
                let rejected = bed.events("request_rejected")
                #expect(rejected.contains { $0["code"] == 503 && $0["reason"]?.stringValue?.hasPrefix("upstream unreachable") == true },
                        "\(bed.gateway.report)")
            }
        }

        @Test("SIGTERM stops the gateway cleanly; the rules stay, so API access fails closed")
        func stopKeepsTheRules() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Self.succeed(kubectl, ["get", "ns", "default"])
                bed.gateway.signal(SIGTERM)
                #expect(try await bed.gateway.waitForExit(timeout: .seconds(20)) == .exited(0), "\(bed.gateway.report)")
                let before = try bed.sandbox.auditLog.events().count
                let refused = try await kubectl.run(["get", "ns", "default", "--request-timeout=5s"])
                #expect(refused.exitCode == 1, "\(refused)")
                #expect(refused.standardError.contains("was refused"), "\(refused)")
                let verify = try bed.agent.run(try Products.gateway(), ["rules", "verify", "--config", bed.configPath])
                #expect(verify.status == .exited(1), "\(verify)")
                #expect(verify.standardOutput.split(separator: "\n").filter { $0.hasPrefix("  - ") }.count == 1
                        && verify.standardOutput.contains("has no listener"), "only the guard is missing: \(verify)")
                #expect(try bed.sandbox.auditLog.events().count == before, "nothing reached the cluster while the gateway was down")
            }
        }
    }
}
