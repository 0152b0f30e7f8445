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
                // Standard output logs connections, not a line per request: logging.requests is off by default.
                let requests = bed.events("request")
                #expect(requests.isEmpty, "logging.requests is off by default: \(requests)")
                #expect(!bed.events("connection_opened").isEmpty, "\(bed.gateway.report)")
            }
        }

        /// One refused-token case: how to mint it, and the reason the gateway must record.
        struct RefusedCase: CustomTestStringConvertible, Sendable {
            var name: String
            var spec: [String: JSONValue]
            var claims: [String: JSONValue]
            var reason: String
            var testDescription: String { name }
        }

        static let refusedCases: [RefusedCase] = [
            RefusedCase(name: "expired", spec: [:], claims: ["exp": .int(-3600)], reason: "token expired at"),
            RefusedCase(name: "not yet valid", spec: [:], claims: ["nbf": .int(3600)], reason: "token not valid before"),
            RefusedCase(name: "wrong audience", spec: [:], claims: ["aud": "someone-else"], reason: "token audience does not include portcullis"),
            RefusedCase(name: "wrong issuer", spec: [:], claims: ["iss": "https://unknown.example"], reason: "is not a configured issuer"),
            RefusedCase(name: "unknown key", spec: ["key": "foreign"], claims: [:], reason: "unknown signing key"),
            RefusedCase(name: "bad signature", spec: ["tamper": true], claims: [:], reason: "invalid signature"),
            RefusedCase(name: "alg none", spec: ["none": true], claims: [:], reason: "unsigned token (alg none) refused"),
            RefusedCase(name: "HS256 with the RSA public key", spec: ["hs256_with_public_pem_of": "rsa-1"], claims: [:],
                        reason: "HMAC-signed token"),
        ]

        /// Claims valid now for the minting issuer, with `overrides` (times are offsets from now).
        static func claims(_ bed: Bed, _ overrides: [String: JSONValue]) -> JSONValue {
            let now = Int64(Date().timeIntervalSince1970)
            var claims: [String: JSONValue] = ["iss": .string(bed.mintingIssuerURL), "aud": .string(Bed.clientID), "sub": "agent-9",
                                               "iat": .int(now), "exp": .int(now + 600)]
            for (key, value) in overrides {
                if ["exp", "nbf", "iat"].contains(key), case .int(let offset) = value { claims[key] = .int(now + offset) } else { claims[key] = value }
            }
            return .object(claims)
        }

        @Test("every refused token gets kube's 401, kubectl's usual error, and a recorded reason")
        func refusedTokens() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                var specs: [JSONValue] = [["key": "rsa-1", "alg": "RS256", "claims": Self.claims(bed, [:])]]
                for c in Self.refusedCases {
                    var spec: [String: JSONValue] = ["key": "rsa-1", "alg": "RS256", "claims": Self.claims(bed, c.claims)]
                    for (k, v) in c.spec { spec[k] = v }
                    specs.append(.object(spec))
                }
                let tokens = try await bed.mint(specs)
                #expect(tokens.count == specs.count)
                let accepted = try await kubectl.run(["--token", tokens[0], "get", "ns", "default"])
                #expect(accepted.exitCode == 0, "a valid token of the minting issuer works: \(accepted)")
                for (c, token) in zip(Self.refusedCases + [RefusedCase(name: "malformed", spec: [:], claims: [:], reason: "malformed token")],
                                      Array(tokens.dropFirst()) + ["not-a-jwt"]) {
                    let result = try await kubectl.run(["--token", token, "get", "ns", "default"])
                    #expect(result.exitCode == 1, "\(c.name): \(result)")
                    #expect(result.standardError.contains("You must be logged in to the server"), "\(c.name): \(result)")
                    let reasons = bed.events("request_rejected").compactMap { $0["reason"]?.stringValue }
                    #expect(reasons.contains { $0.contains(c.reason) }, "\(c.name): no reason containing «\(c.reason)» in \(reasons)")
                }
                let audit = try bed.sandbox.auditLog.events()
                #expect(!audit.isEmpty && audit.allSatisfy { $0.impersonatedUser?.username == "minted:agent-9" },
                        "only the valid token's requests reached the cluster: \(audit.map(AuditLog.summary))")
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
