import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Policy through the whole gateway with real kubectl: static rules, grants that expire,
    /// requests held for a reviewer, reloads that leave open watches alone, and the record of every
    /// decision.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct PolicyEndToEndTests {
        typealias Bed = GatewayTestbed
        typealias Gateway = GatewayEndToEndTests
        typealias Store = StoreEndToEndTests

        /// Reads and discovery for everyone; the rest as each test adds.
        static func policy(_ rules: String, defaultEffect: String = "deny", review: String = "") -> String {
            """
            defaultEffect: \(defaultEffect)
            \(review)
            rules:
            \(rules)
              - id: read
                effect: allow
                verbs: [get, list, watch]
            """
        }

        static let noDeleteProd = """
              - id: no-delete-prod
                effect: deny
                verbs: [delete]
                resources: [namespaces]
                names: [prod]
                reason: production is off limits
            """

        static let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n  namespace: demo\ndata:\n  a: b\n"

        static func configMap(_ name: String) -> String { configMap.replacing("NAME", with: name) }

        /// A rule that lets the agent create namespaces, so tests can set up before grants matter.
        static let createNamespaces = """
              - id: setup
                effect: allow
                verbs: [create]
                resources: [namespaces]
            """

        static let demoNamespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"

        /// The grant id `portcullis grant` printed ("granted g-1a2b3c4d: …").
        static func grantID(_ result: HostCommandResult) throws -> String {
            let words = result.standardOutput.split(separator: " ")
            guard words.first == "granted", words.count > 1, words[1].hasPrefix("g-") else {
                throw HarnessError("portcullis grant did not print a grant: \(result)")
            }
            return String(words[1].dropLast())
        }

        // MARK: Static rules and the record

        @Test("an allow and a deny rule: kubectl shows the rule and its reason; the cluster never sees the denial; sessions --outcome denied lists exactly the denials")
        func staticRules() async throws {
            let rules = Self.noDeleteProd + "\n" + """
                  - id: setup
                    effect: allow
                    verbs: [create, patch]
                    resources: [namespaces, pods]
                """
            try await Bed.with(policy: Self.policy(rules)) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.manifest)
                let listed = try await Gateway.succeed(kubectl, ["get", "pods", "-n", "demo"])
                #expect(listed.standardOutput.contains("web-1"))

                let denied = try await kubectl.run(["delete", "namespace", "prod"])
                #expect(denied.exitCode == 1)
                #expect(denied.standardError.contains(
                    #"Error from server (Forbidden): portcullis: delete on namespaces "prod" denied by rule no-delete-prod: production is off limits"#),
                    "\(denied)")
                let byDefault = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c1"))
                #expect(byDefault.standardError.contains(#"portcullis: create on configmaps in namespace "demo" denied by the default effect: no rule allows it"#),
                        "\(byDefault)")

                let cluster = try bed.sandbox.auditLog.events()
                #expect(!cluster.contains { $0.verb == "delete" || $0.objectRef?.resource == "configmaps" },
                        "denied requests never reach the cluster")
                let sessions = try bed.portcullis(["sessions", "--outcome", "denied", "--json"])
                #expect(sessions.status.isSuccess, "\(sessions)")
                let lines = sessions.standardOutput.split(separator: "\n")
                let denials = try lines.compactMap { line -> Int64? in try JSONParser.parse(String(line))[path: "outcomes", "denied"]?.intValue }
                #expect(denials.reduce(0, +) == 2, "exactly the two denials: \(sessions.standardOutput)")
                let export = try Store.export(bed).filter { $0.annotations["portcullis.io/decision"] == "deny" }
                #expect(export.map { String($0.requestURI.split(separator: "?")[0]) }.sorted()
                        == ["/api/v1/namespaces/demo/configmaps", "/api/v1/namespaces/prod"], "\(export.map(\.requestURI))")
                #expect(export.allSatisfy { $0.responseStatus?.code == 403 })
            }
        }

        // MARK: Grants

        @Test("a grant allows a request until it expires; then the same command is denied; grant and revoke are recorded with the caller's uid")
        func grants() async throws {
            try await Bed.with(policy: Self.policy(Self.createNamespaces)) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Self.demoNamespace)
                let before = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c1"))
                #expect(before.exitCode == 1 && before.standardError.contains("denied by the default effect"), "\(before)")

                let granted = try bed.portcullis(["grant", "--user", Bed.username, "--verbs", "create", "--resources", "configmaps",
                                                  "--namespaces", "demo", "--for", "4s", "--reason", "seed the demo"])
                #expect(granted.status.isSuccess, "\(granted)")
                let id = try Self.grantID(granted)
                #expect(id.hasPrefix("g-"), "\(granted.standardOutput)")
                let during = try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Self.configMap("c1"))
                #expect(during.standardOutput.contains("configmap/c1 created"))
                let listed = try Store.json(try bed.portcullis(["grants", "--json"]))
                #expect(listed["id"]?.stringValue == id && listed["createdBy"] == 0 && listed["state"] == "active", "\(listed)")

                try await Store.eventually("the grant expires") {
                    let all = try bed.portcullis(["grants", "--all", "--json"])
                    return all.standardOutput.contains(#""state":"expired""#)
                }
                let after = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c2"))
                #expect(after.exitCode == 1 && after.standardError.contains("denied by the default effect"), "\(after)")

                // A revoked grant ends at once, and the record says who ended it.
                let second = try bed.portcullis(["grant", "--group", "oidc:ai-agents", "--verbs", "create", "--resources", "configmaps",
                                                 "--namespaces", "demo", "--for", "10m", "--reason", "more"])
                let secondID = try Self.grantID(second)
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Self.configMap("c3"))
                let revoked = try bed.portcullis(["revoke", secondID, "--reason", "done"])
                #expect(revoked.status.isSuccess, "\(revoked)")
                let denied = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c4"))
                #expect(denied.exitCode == 1, "\(denied)")
                let history = try bed.portcullis(["grants", "--all", "--json"]).standardOutput.split(separator: "\n")
                    .map { try JSONParser.parse(String($0)) }
                #expect(history.map { $0["state"]?.stringValue ?? "" } == ["expired", "revoked"])
                #expect(history.last?["revokedBy"] == 0 && history.last?["revokeReason"] == "done")

                let admitted = try Store.export(bed).filter { $0.annotations["portcullis.io/decision-rule"]?.hasPrefix("grant:") == true }
                #expect(admitted.map { $0.annotations["portcullis.io/decision-rule"] ?? "" } == ["grant:\(id)", "grant:\(secondID)"])
            }
        }

        @Test("grants live in the store: one made before a restart allows requests after it, and can be revoked then")
        func grantsSurviveARestart() async throws {
            try await Bed.with(policy: Self.policy(Self.createNamespaces)) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Self.demoNamespace)
                let granted = try bed.portcullis(["grant", "--group", "oidc:ai-agents", "--verbs", "create", "--resources", "configmaps",
                                                  "--namespaces", "demo", "--for", "1h", "--reason", "before the restart"])
                let id = try Self.grantID(granted)
                let gateway = try await bed.restartGateway()
                defer { gateway.kill() }
                let after = try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Self.configMap("c1"))
                #expect(after.standardOutput.contains("configmap/c1 created"))
                let revoked = try bed.portcullis(["revoke", id])
                #expect(revoked.status.isSuccess, "\(revoked)")
                let denied = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c2"))
                #expect(denied.exitCode == 1 && denied.standardError.contains("denied by the default effect"), "\(denied)")
            }
        }

        @Test("a grant that expires during a watch does not cut it, and the record names the grant that admitted it")
        func grantOutlivedByItsWatch() async throws {
            let discovery = """
                  - id: discovery
                    effect: allow
                    nonResourceURLs: ["*"]
                """
            try await Bed.with(policy: "defaultEffect: deny\nrules:\n" + discovery + "\n") { bed in
                // The cluster's own admin sets up, straight to the sandbox from the cluster host.
                let admin = try Kubectl(kubeconfig: bed.sandbox.kubeconfigPath, namespace: bed.hosts.cluster)
                defer { admin.remove() }
                try await Gateway.succeed(admin, ["create", "-f", "-"], stdin: Gateway.manifest)
                let granted = try bed.portcullis(["grant", "--user", Bed.username, "--verbs", "list,watch", "--resources", "pods",
                                                  "--namespaces", "demo", "--for", "3s", "--reason", "watch the rollout"])
                let id = try Self.grantID(granted)
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let watch = try kubectl.start(["get", "pods", "-n", "demo", "-w", "-o", "name"])
                defer { watch.kill() }
                _ = try await watch.waitForLine(containing: "pod/web-1", timeout: .seconds(30))

                try await Store.eventually("the grant expires") {
                    try bed.portcullis(["grants", "--all", "--json"]).standardOutput.contains(#""state":"expired""#)
                }
                let listed = try await kubectl.run(["get", "pods", "-n", "demo"])
                #expect(listed.exitCode == 1 && listed.standardError.contains("denied by the default effect"), "\(listed)")
                try await Gateway.succeed(admin, ["create", "-f", "-"], stdin: Gateway.pod("web-2"))
                _ = try await watch.waitForLine(containing: "pod/web-2", timeout: .seconds(30))
                #expect(watch.isRunning, "the watch admitted by the grant outlives it")
                let watches = try Store.export(bed).filter { $0.verb == "watch" }
                #expect(!watches.isEmpty && watches.allSatisfy { $0.annotations["portcullis.io/decision-rule"] == "grant:\(id)" },
                        "\(watches.map(\.annotations))")
            }
        }

        // MARK: Review

        static let reviewDeletes = """
              - id: deletes-need-review
                effect: review
                verbs: [delete]
                reason: deletes are reviewed
              - id: setup
                effect: allow
                verbs: [create]
            """

        @Test("held requests: one approved, one denied, one over the cap; pending shows who and what; only root and the admin group decide")
        func review() async throws {
            let policy = Self.policy(Self.reviewDeletes, review: "review:\n  timeout: 2m\n  maxHeld: 1\n")
            try await Bed.with(policy: policy) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.manifest)
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.pod("web-2"))

                let first = try kubectl.start(["delete", "pod", "web-1", "-n", "demo"])
                let held = try await Self.waitForPending(bed, intent: "delete pod web-1 in demo")
                #expect(held["user"]?.stringValue == Bed.username && held["rule"] == "deletes-need-review", "\(held)")
                #expect(held["body"]?.stringValue?.isEmpty == false, "\(held)")
                let table = try bed.portcullis(["pending"])
                #expect(table.standardOutput.contains("delete pod web-1 in demo") && table.standardOutput.contains(Bed.username), "\(table)")

                let full = try await kubectl.run(["delete", "pod", "web-2", "-n", "demo"])
                #expect(full.exitCode == 1 && full.standardError.contains("1 requests already wait for review"), "\(full)")

                let outsider = try await bed.portcullis(["pending"], uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID)
                #expect(outsider.status == .exited(3) && outsider.standardError.contains("permission denied"), "\(outsider)")
                let member = try await bed.portcullis(["pending", "--json"], uid: 64_993, gid: Bed.adminGID)
                #expect(member.status.isSuccess && member.standardOutput.contains("web-1"), "\(member)")

                let id = try #require(held["id"]?.intValue)
                let approved = try bed.portcullis(["approve", String(id), "--reason", "expected cleanup"])
                #expect(approved.status.isSuccess, "\(approved)")
                #expect(try await first.waitForExit(timeout: .seconds(30)) == .exited(0), "\(first.report)")
                #expect(first.standardOutput.contains(#"pod "web-1" deleted"#), "\(first.report)")

                let second = try kubectl.start(["delete", "pod", "web-2", "-n", "demo"])
                let held2 = try await Self.waitForPending(bed, intent: "delete pod web-2 in demo")
                let denied = try await bed.portcullis(["deny", String(held2["id"]?.intValue ?? 0), "--reason", "not today"],
                                                      uid: 64_993, gid: Bed.adminGID)
                #expect(denied.status.isSuccess, "\(denied)")
                #expect(try await second.waitForExit(timeout: .seconds(30)) == .exited(1))
                #expect(second.standardError.contains(
                    #"Error from server (Forbidden): portcullis: delete on pods "web-2" in namespace "demo" denied by a reviewer (uid 64993) after review by rule deletes-need-review: not today"#),
                    "\(second.report)")

                let cluster = try bed.sandbox.auditLog.events().filter { $0.verb == "delete" }
                #expect(cluster.map { $0.objectRef?.name ?? "" } == ["web-1"], "only the approved delete reached the cluster")
                let exported = try Store.export(bed).filter { $0.annotations["portcullis.io/review"] != nil }
                #expect(exported.map { "\($0.annotations["portcullis.io/review"] ?? "") \($0.annotations["portcullis.io/reviewer-uid"] ?? "")" }
                        == ["approved 0", "denied 64993"])
                let deniedSessions = try bed.portcullis(["sessions", "--outcome", "denied", "--json"]).standardOutput
                let count = try deniedSessions.split(separator: "\n").compactMap { try JSONParser.parse(String($0))[path: "outcomes", "denied"]?.intValue }
                #expect(count.reduce(0, +) == 2, "the reviewer's denial and the one over the cap: \(deniedSessions)")
            }
        }

        @Test("a held request nobody decides is denied when its time runs out")
        func reviewTimeout() async throws {
            try await Bed.with(policy: Self.policy(Self.reviewDeletes, review: "review:\n  timeout: 2s\n")) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.manifest)
                let result = try await kubectl.run(["delete", "pod", "web-1", "-n", "demo"])
                #expect(result.exitCode == 1)
                #expect(result.standardError.contains("held for review by rule deletes-need-review and nobody decided within 2s"), "\(result)")
                let pending = try Store.json(try bed.portcullis(["pending", "--json"]))
                #expect(pending["pending"]?.arrayValue?.isEmpty == true)
                let timedOut = try Store.export(bed).filter { $0.annotations["portcullis.io/review"] == "timed_out" }
                #expect(timedOut.count == 1 && timedOut.first?.responseStatus?.code == 403)
                #expect(!(try bed.sandbox.auditLog.events()).contains { $0.verb == "delete" })
            }
        }

        // MARK: Reload

        @Test("the policy reloads while a watch stays open; a broken file is refused and the old policy stays in force")
        func reload() async throws {
            try await Bed.with(policy: Self.policy("", defaultEffect: "allow")) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.manifest)
                let watch = try kubectl.start(["get", "pods", "-n", "demo", "-w", "-o", "name"])
                defer { watch.kill() }
                _ = try await watch.waitForLine(containing: "pod/web-1", timeout: .seconds(30))

                let noConfigMaps = """
                      - id: no-configmaps
                        effect: deny
                        verbs: [create]
                        resources: [configmaps]
                        reason: configmaps are frozen
                    """
                try bed.writePolicy(Self.policy(noConfigMaps, defaultEffect: "allow"))
                try await Self.waitForStatus(bed) { $0[path: "policy", "generation"] == 2 }
                let frozen = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c1"))
                #expect(frozen.standardError.contains("denied by rule no-configmaps: configmaps are frozen"), "\(frozen)")
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.pod("web-2"))
                _ = try await watch.waitForLine(containing: "pod/web-2", timeout: .seconds(30))
                #expect(watch.isRunning, "the watch admitted before the reload still runs")

                try bed.writePolicy("rules:\n  - id: broken\n    effect: sometimes\n")
                try await Self.waitForStatus(bed) { $0[path: "policy", "lastError"] != nil }
                let status = try bed.portcullis(["status"])
                #expect(status.status == .exited(1), "\(status)")
                #expect(status.standardOutput.contains("REFUSED") && status.standardOutput.contains("rules[0].effect: expected allow, deny or review"),
                        "\(status)")
                let stillFrozen = try await kubectl.run(["create", "-f", "-"], stdin: Self.configMap("c2"))
                #expect(stillFrozen.standardError.contains("denied by rule no-configmaps"), "the old policy stays: \(stillFrozen)")
                _ = try await bed.gateway.waitForLine(containing: "policy reload refused", in: .standardError, timeout: .seconds(10))

                // SIGHUP reloads too: the file is still broken, so it is refused again, for that reason.
                bed.gateway.signal(SIGHUP)
                _ = try await bed.gateway.waitForLine(containing: #""trigger":"SIGHUP""#, in: .standardError, timeout: .seconds(10))
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.pod("web-3"))
                _ = try await watch.waitForLine(containing: "pod/web-3", timeout: .seconds(30))
                #expect(watch.isRunning)
            }
        }

        // MARK: Helpers

        static func waitForPending(_ bed: Bed, intent: String) async throws -> JSONValue {
            var found: JSONValue?
            try await Store.eventually("a held request '\(intent)'") {
                let pending = try Store.json(try bed.portcullis(["pending", "--json"]))
                found = pending["pending"]?.arrayValue?.first { $0["intent"]?.stringValue == intent }
                return found != nil
            }
            return found ?? .null
        }

        static func waitForStatus(_ bed: Bed, _ condition: @escaping (JSONValue) -> Bool) async throws {
            try await Store.eventually("the gateway's status") {
                let result = try bed.portcullis(["status", "--json"])
                return (try? JSONParser.parse(result.standardOutput)).map(condition) ?? false
            }
        }
    }
}
