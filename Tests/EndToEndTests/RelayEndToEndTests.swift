import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// The relay (issue 16), in namespaces: a runner host (interception, `portcullis up`, the
    /// agent's kubectl), a relay host (`portcullis relay`, the only holder of the cluster's
    /// credential) and a cluster host whose firewall accepts API connections from the relay alone
    /// (``RelayTestbed``).
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct RelayEndToEndTests {
        typealias Bed = RelayTestbed
        typealias Gateway = GatewayEndToEndTests

        /// Claims valid now for the minting issuer (on the runner host), with `overrides` (times are
        /// offsets from now).
        static func claims(_ bed: Bed, _ overrides: [String: JSONValue]) -> JSONValue {
            let now = Int64(Date().timeIntervalSince1970)
            var claims: [String: JSONValue] = ["iss": .string(bed.gateway.mintingIssuerURL), "aud": .string(GatewayTestbed.clientID),
                                               "sub": "agent-9", "iat": .int(now), "exp": .int(now + 600)]
            for (key, value) in overrides {
                if ["exp", "nbf", "iat"].contains(key), case .int(let offset) = value { claims[key] = .int(now + offset) } else { claims[key] = value }
            }
            return .object(claims)
        }

        static func mint(_ bed: Bed, _ overrides: [String: JSONValue] = [:]) async throws -> String {
            try #require(try await bed.gateway.mint([["key": "rsa-1", "alg": "RS256", "claims": claims(bed, overrides)]]).first)
        }

        static func json(_ result: HostCommandResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
            #expect(result.status.isSuccess, "\(result)", sourceLocation: sourceLocation)
            return try JSONParser.parse(result.standardOutput)
        }

        /// The relay's connections (`portcullis sessions --connections --json` with relay.yaml).
        static func relaySessions(_ bed: Bed) throws -> [JSONValue] {
            let result = try bed.relay.portcullis(["sessions", "--connections", "--json"])
            #expect(result.status.isSuccess, "\(result)")
            return try result.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        }

        /// Every request the relay recorded, with its reported source (`show c<N> --json` of each session).
        static func relayRequests(_ bed: Bed) throws -> [JSONValue] {
            try relaySessions(bed).filter { $0["kind"] == "connection" }.flatMap { session -> [JSONValue] in
                let id = session["id"]?.stringValue ?? ""
                return try json(try bed.relay.portcullis(["show", id, "--json"]))["requests"]?.arrayValue ?? []
            }
        }

        // MARK: kubectl through gateway and relay

        @Test("kubectl 1.27 to 1.33 through gateway and relay: get, apply, watch, logs -f, exec over WebSocket and SPDY",
              arguments: Array(27...33))
        func everyKubectl(minor: Int) async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl(minor: minor)
                defer { kubectl.remove() }
                let namespaces = try await Gateway.succeed(kubectl, ["get", "ns"])
                #expect(namespaces.standardOutput.contains("kube-system"), "\(namespaces)")
                let applied = try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                #expect(applied.outputLines == ["namespace/demo created", "pod/web-1 created"], "\(applied)")
                #expect(try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest).outputLines
                        == ["namespace/demo unchanged", "pod/web-1 unchanged"])

                let watch = try kubectl.start(["get", "pods", "-n", "demo", "-w"])
                _ = try await watch.waitForLine(containing: "web-1")
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: Gateway.pod("web-2"))
                let row = try await watch.waitForLine(containing: "web-2")
                #expect(row.contains("Running"), "\(row)")
                await watch.terminate()

                let logs = try kubectl.start(["logs", "-f", "web-1", "-n", "demo"])
                _ = try await logs.waitForLine(containing: "line 2 from demo/web-1/main")
                #expect(logs.isRunning, "logs -f stays open\n\(logs.report)")
                await logs.terminate()

                // 1.27 to 1.29 exec over SPDY, 1.30 and later over WebSocket; SPDY again when told to.
                let echo = try await Gateway.succeed(kubectl, ["exec", "web-1", "-n", "demo", "--", "echo", "hello from \(minor)"])
                #expect(echo.standardOutput == "hello from \(minor)\n", "\(echo)")
                let spdy = try bed.kubectl(minor: minor, extraEnvironment: ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"])
                defer { spdy.remove() }
                let failing = try await spdy.run(["exec", "web-1", "-n", "demo", "--", "sh", "-c", "exit 3"])
                #expect(failing.exitCode == 3, "\(failing)")

                // The cluster saw only the relay, impersonating the agent.
                let audit = try bed.sandbox.auditLog.events()
                #expect(!audit.isEmpty && audit.allSatisfy { $0.sourceIPs == [RelayHosts.relayAddress] && $0.user.username == "admin" },
                        "\(audit.map(AuditLog.summary))")
                #expect(audit.contains { $0.objectRef?.subresource == "exec" && $0.impersonatedUser?.username == GatewayTestbed.username })
                // The relay recorded the streams: a watch, the followed log, both execs' bytes.
                let requests = try Self.relayRequests(bed)
                #expect(requests.contains { $0["verb"] == "watch" } && requests.contains { $0["subresource"] == "log" })
                let execs = requests.filter { $0["subresource"] == "exec" && $0["stream"] != nil }
                #expect(execs.count >= 2, "both execs' streams are in the relay's record: \(execs)")
            }
        }

        // MARK: What the relay records

        @Test("the relay records the gateway by its certificate and the agent as the gateway reported it; its record verifies and replays alone")
        func theRelaysRecord() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                let exec = try await kubectl.run(["exec", "-i", "web-1", "-n", "demo", "--", "sh"], stdin: "echo relayed\nexit 2\n")
                #expect(exec.exitCode == 2 && exec.standardOutput == "relayed\n", "\(exec)")
                // attach passes through too; port-forward reaches the cluster, which refuses it (the sandbox has none).
                let attach = try kubectl.start(["attach", "-i", "web-1", "-n", "demo"], standardInput: .pipe)
                do {
                    try await attach.waitForLine(containing: "from demo/web-1/main")
                    try attach.writeToStandardInput("typed into attach\n")
                    try await attach.waitForLine(containing: "typed into attach")
                } catch {
                    await attach.terminate()
                    throw error
                }
                await attach.terminate()
                let spdy = try bed.kubectl(minor: 29)
                defer { spdy.remove() }
                let forward = try await spdy.run(["port-forward", "web-1", "-n", "demo", "8080:80"], timeout: .seconds(30))
                #expect(forward.exitCode != 0 && forward.standardError.contains("does not support port-forward"), "\(forward)")

                let sessions = try Self.relaySessions(bed).filter { $0["kind"] == "connection" }
                #expect(!sessions.isEmpty && sessions.allSatisfy { $0[path: "caller", "gateway"] == .string(Bed.gatewayName) }, "\(sessions)")
                let table = try bed.relay.portcullis(["sessions", "--connections"])
                #expect(table.standardOutput.contains("gateway \(Bed.gatewayName)"), "\(table)")
                let byGateway = try bed.relay.portcullis(["sessions", "--connections", "--gateway", Bed.gatewayName, "--json"])
                #expect(byGateway.standardOutput.split(separator: "\n").count == sessions.count, "\(byGateway)")
                let otherGateway = try bed.relay.portcullis(["sessions", "--connections", "--gateway", "runner-z"])
                #expect(otherGateway.standardError.contains("no sessions match"), "\(otherGateway)")
                // The relay's runs name the gateway too, and --gateway selects them.
                let runs = try bed.relay.portcullis(["sessions", "--gateway", Bed.gatewayName])
                #expect(runs.standardOutput.contains("run") && runs.standardOutput.contains("gateway \(Bed.gatewayName)"), "\(runs)")
                let noRuns = try bed.relay.portcullis(["sessions", "--gateway", "runner-z"])
                #expect(noRuns.standardError.contains("no runs or sessions match"), "\(noRuns)")
                let requests = try Self.relayRequests(bed)
                let reported = requests.compactMap { $0["reportedSource"] }
                #expect(reported.count == requests.count && reported.allSatisfy { $0["uid"] == .int(Int64(InterceptTestbed.agentUID)) },
                        "every request carries the agent as the gateway reported it: \(reported)")
                #expect(requests.allSatisfy { $0[path: "user", "username"] == .string(GatewayTestbed.username) })

                #expect(requests.contains { $0["subresource"] == "attach" && $0["stream"] != nil }, "the attach's stream is in the relay's record")
                #expect(requests.contains { $0["subresource"] == "portforward" }, "\(requests.map { $0["uri"] ?? .null })")
                let execID = try #require(requests.first { $0["subresource"] == "exec" }?["id"]?.stringValue)
                let shown = try bed.relay.portcullis(["show", execID])
                #expect(shown.standardOutput.contains("agent as gateway \(Bed.gatewayName) reported it: uid \(InterceptTestbed.agentUID)"), "\(shown)")
                let replay = try bed.relay.portcullis(["replay", execID, "--speed", "0", "--output-only"])
                #expect(replay.status.isSuccess && replay.standardOutput == "relayed\n", "the relay's record alone replays the exec: \(replay)")
                let verified = try bed.relay.portcullis(["verify"])
                #expect(verified.status.isSuccess, "\(verified)")
                let export = try bed.relay.portcullis(["export", "--format", "audit"])
                #expect(export.standardOutput.contains("\"portcullis.io/gateway\":\"\(Bed.gatewayName)\""), "\(export)")
                // The gateway keeps its own record, as before.
                let local = try bed.gateway.portcullis(["sessions", "--json"])
                #expect(local.status.isSuccess && local.standardOutput.contains("\"uid\":\(InterceptTestbed.agentUID)"), "\(local)")
            }
        }

        @Test("the relay decides: its policy refuses what the gateway's allows; what the gateway refuses never reaches the relay")
        func theRelayDecides() async throws {
            let gatewayPolicy = """
                defaultEffect: allow
                rules:
                  - id: gateway-no-configmaps
                    effect: deny
                    verbs: [create]
                    resources: [configmaps]
                    reason: "the runner's own policy"
                """
            let relayPolicy = """
                defaultEffect: allow
                rules:
                  - id: relay-no-namespace-deletes
                    effect: deny
                    verbs: [delete]
                    resources: [namespaces]
                    reason: "decided at the relay"
                """
            try await Bed.with(gatewayPolicy: gatewayPolicy, relayPolicy: relayPolicy) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "namespace", "scratch"])
                let deleted = try await kubectl.run(["delete", "namespace", "scratch"])
                #expect(deleted.exitCode == 1 && deleted.standardError.contains("denied by rule relay-no-namespace-deletes: decided at the relay"),
                        "\(deleted)")
                let configmap = try await kubectl.run(["create", "configmap", "c1", "-n", "default"])
                #expect(configmap.exitCode == 1 && configmap.standardError.contains("gateway-no-configmaps"), "\(configmap)")
                let relayed = try Self.relayRequests(bed)
                #expect(!relayed.contains { $0["resource"] == "configmaps" }, "the gateway's refusal never reached the relay")
                #expect(relayed.contains { $0["verb"] == "delete" && $0["decision"] == "deny" }, "\(relayed)")
                #expect(try bed.sandbox.auditLog.events().allSatisfy { $0.verb != "delete" }, "the relay's denial never reached the cluster")
            }
        }

        // MARK: A root agent on the runner

        @Test("root on the runner finds no cluster credential, gets 401 from the relay with the gateway's key, and cannot reach the API server")
        func rootAgent() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns", "default"])
                // 1. No cluster credential anywhere on the runner's side.
                let tokens = try String(contentsOfFile: bed.sandbox.tokenFilePath, encoding: .utf8)
                let secrets = tokens.split(separator: "\n").compactMap { $0.split(separator: ",").first.map(String.init) }
                #expect(!secrets.isEmpty)
                let enumerator = FileManager.default.enumerator(atPath: bed.gateway.work.path)
                while let relative = enumerator?.nextObject() as? String {
                    let path = bed.gateway.work.path(relative)
                    guard let data = FileManager.default.contents(atPath: path) else { continue }
                    let text = String(decoding: data, as: UTF8.self)
                    #expect(!secrets.contains { text.contains($0) }, "\(path) holds a cluster token")
                }
                let doctor = try bed.runner.run(try Products.gateway(), ["doctor", "--config", bed.gateway.configPath, "--json",
                                                                          "--agent-user", String(InterceptTestbed.agentUID),
                                                                          "--kubeconfig", bed.gateway.kubeconfigPath])
                let findings = try doctor.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
                let relayMode = try #require(findings.first { $0["check"] == "relay-mode-credentials" }, "\(doctor)")
                #expect(relayMode["ok"] == true, "\(relayMode)")
                // A leftover cluster token is found and named.
                let leftover = try bed.gateway.work.write(String(secrets[0]) + "\n", to: "old-cluster.token")
                let again = try bed.runner.run(try Products.gateway(), ["doctor", "--config", bed.gateway.configPath, "--json",
                                                                         "--agent-user", String(InterceptTestbed.agentUID),
                                                                         "--kubeconfig", bed.gateway.kubeconfigPath])
                let warned = try again.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
                    .first { $0["check"] == "relay-mode-credentials" }
                #expect(warned?["ok"] == false && warned?["message"]?.stringValue?.contains(leftover) == true, "\(again)")
                try FileManager.default.removeItem(atPath: leftover)

                // 2. The gateway's key in hand, without a valid agent token: 401 from the relay.
                let anonymous = try bed.straightToTheRelay("GET", "/api/v1/namespaces")
                #expect(anonymous.first?["status"] == 401, "\(anonymous)")
                let forged = try bed.straightToTheRelay("GET", "/api/v1/namespaces", headers: ["Authorization: Bearer \(secrets[0])"])
                #expect(forged.first?["status"] == 401, "a cluster token is no agent token: \(forged)")

                // 3. The API server is out of reach: as the gateway's uid (which the rules let through) and
                // after root flushed the runner's rules, the cluster's firewall drops the connection.
                let auditBefore = try bed.sandbox.auditLog.events().count
                let droppedBefore = try bed.droppedByTheClusterFirewall()
                let probe = try Products.packageRoot() + "/Tests/clients/net_client.py"
                let asGateway = try bed.runner.run(try SystemTools.setpriv(), ["--reuid", String(InterceptTestbed.gatewayUID), "--regid",
                                                                               String(InterceptTestbed.gatewayUID), "--clear-groups", "--",
                                                                               "/usr/bin/python3", probe, "tcp", RelayHosts.clusterAddress, "6443",
                                                                               "--timeout", "2"])
                #expect(asGateway.standardOutput.contains("\"connected\": false"), "\(asGateway)")
                for table in ["nat", "mangle", "filter"] {
                    _ = try bed.runner.run(try SystemTools.path(of: "iptables", package: "iptables"), ["-w", "-t", table, "-F"])
                }
                let asRoot = try bed.runner.run("/usr/bin/python3", [probe, "tcp", RelayHosts.clusterAddress, "6443", "--timeout", "2"])
                #expect(asRoot.standardOutput.contains("\"connected\": false"), "\(asRoot)")
                #expect(try bed.droppedByTheClusterFirewall() > droppedBefore, "the cluster's firewall dropped them")
                #expect(try bed.sandbox.auditLog.events().count == auditBefore, "nothing reached the API server")
            }
        }

        // MARK: A lying gateway

        @Test("a client with a valid gateway certificate that forges identity or sends an expired token is refused, and recorded at the relay")
        func lyingGateway() async throws {
            try await Bed.with { bed in
                let valid = try await Self.mint(bed)
                let expired = try await Self.mint(bed, ["exp": .int(-3600), "iat": .int(-7200)])
                let impersonating = try bed.straightToTheRelay("GET", "/api/v1/namespaces",
                                                               headers: ["Authorization: Bearer \(valid)", "Impersonate-User: admin",
                                                                         "Impersonate-Group: system:masters"])
                #expect(impersonating.first?["status"] == 403, "\(impersonating)")
                let remote = try bed.straightToTheRelay("GET", "/api/v1/namespaces",
                                                        headers: ["Authorization: Bearer \(valid)", "X-Remote-User: admin"])
                #expect(remote.first?["status"] == 403, "\(remote)")
                let late = try bed.straightToTheRelay("GET", "/api/v1/namespaces", headers: ["Authorization: Bearer \(expired)"])
                #expect(late.first?["status"] == 401, "\(late)")
                // A forged report of the agent's source is recorded as what it is: reported.
                let forgedSource = #"Portcullis-Agent-Source: {"uid":0,"executable":"/usr/bin/innocent"}"#
                let reported = try bed.straightToTheRelay("GET", "/api/v1/namespaces/default",
                                                          headers: ["Authorization: Bearer \(valid)", forgedSource])
                #expect(reported.first?["status"] == 200, "\(reported)")

                let requests = try Self.relayRequests(bed)
                let refused = requests.filter { $0[path: "response", "rejected"] == true }
                let reasons = refused.compactMap { $0[path: "response", "reason"]?.stringValue }
                #expect(reasons.contains { $0.contains("Impersonate-User") }, "\(reasons)")
                #expect(reasons.contains { $0.contains("X-Remote-User") }, "\(reasons)")
                #expect(reasons.contains { $0.hasPrefix("token expired at") }, "\(reasons)")
                let accepted = try #require(requests.first { $0["uri"] == "/api/v1/namespaces/default" })
                #expect(accepted[path: "reportedSource", "uid"] == 0 && accepted[path: "user", "username"] == "minted:agent-9", "\(accepted)")
                let audit = try bed.sandbox.auditLog.events()
                #expect(audit.map(\.requestURI) == ["/api/v1/namespaces/default"], "only the honest request reached the cluster")
                #expect(audit.first?.impersonatedUser?.username == "minted:agent-9", "the relay's own verification named the user")
            }
        }

        // MARK: The central store

        @Test("the relay ships its record to PostgreSQL like a gateway: the gateway's name and the reported source arrive with it")
        func centralShipping() async throws {
            try await Bed.with(central: true) { bed in
                let postgres = try #require(bed.postgres)
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                let exec = try await kubectl.run(["exec", "web-1", "-n", "demo", "--", "echo", "shipped"])
                #expect(exec.exitCode == 0, "\(exec)")
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(30)
                var central: JSONValue = .null
                while clock.now < deadline {
                    central = try JSONParser.parse(try bed.relay.portcullis(["status", "--json"]).standardOutput)["central"] ?? .null
                    if central["rowsBehind"]?.intValue == 0, central["reachable"]?.boolValue == true { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(central["rowsBehind"] == 0 && central["host"] == .string(Bed.relayHostName), "\(central)")
                let gateways = try postgres.psql("SELECT DISTINCT gateway FROM portcullis.connections WHERE host = '\(Bed.relayHostName)'")
                #expect(gateways.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == Bed.gatewayName, "\(gateways)")
                let reported = try postgres.psql("""
                    SELECT count(*), count(reported_source) FROM portcullis.requests WHERE host = '\(Bed.relayHostName)'
                    """)
                let counts = reported.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
                #expect(counts.count == 2 && counts[0] > 0 && counts[0] == counts[1], "every shipped request has its reported source: \(reported)")
                let streams = try postgres.psql("""
                    SELECT count(*) FROM portcullis.stream_events e JOIN portcullis.requests r ON r.host = e.host AND r.id = e.request_id
                    WHERE e.host = '\(Bed.relayHostName)' AND r.subresource = 'exec'
                    """)
                #expect((Int(streams.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0, "the exec's stream shipped: \(streams)")
                let verified = try bed.relay.portcullisOnRelayHost(["verify", "--central"])
                #expect(verified.status.isSuccess && verified.standardOutput.contains("\(Bed.relayHostName): local: matches what was shipped"),
                        "\(verified)")
            }
        }

        // MARK: The relay down, and revoked

        @Test("with the relay down, requests get a 503 Status naming the relay, and nothing reaches the cluster")
        func relayDown() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns", "default"])
                let before = try bed.sandbox.auditLog.events().count
                await bed.relay.stop()
                let started = ContinuousClock.now
                let result = try await kubectl.run(["get", "ns", "default", "--request-timeout=20s"])
                #expect(ContinuousClock.now - started < .seconds(15), "answered promptly")
                #expect(result.exitCode == 1, "\(result)")
                #expect(result.standardError.contains("cannot reach the relay \(bed.relay.address) for cluster sandbox")
                        || result.standardError.contains("the server is currently unable to handle the request"), "\(result)")
                let rejected = bed.gateway.events("request_rejected")
                #expect(rejected.contains { $0["code"] == 503 && $0["reason"]?.stringValue?.hasPrefix("relay unreachable: \(bed.relay.address)") == true },
                        "\(rejected)")
                #expect(try bed.sandbox.auditLog.events().count == before)
            }
        }

        @Test("a revoked gateway certificate is refused within a second, on new and pooled connections")
        func revokedCertificate() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns", "default"])
                let valid = try await Self.mint(bed)
                let directory = bed.gateway.work.path("relay")
                // A client polling the relay every 50 ms with the gateway's certificate.
                let poller = try bed.runner.launch("/usr/bin/python3", [
                    try PythonTools.clientScript("relay_client.py"), "--address", bed.relay.address, "--ca", directory + "/relay-ca.crt",
                    "--server-name", "relay.test", "--cluster", RelayInstance.cluster, "--cert", directory + "/\(Bed.gatewayName).crt",
                    "--key", directory + "/\(Bed.gatewayName).key", "--header", "Authorization: Bearer \(valid)",
                    "--repeat", "100", "--interval", "0.05", "GET", "/version"], options: LaunchOptions(label: "relay poller"))
                defer { poller.kill() }
                _ = try await poller.waitForLine(containing: "\"status\": 200")
                let revokedAt = Date().timeIntervalSince1970
                let revoke = try bed.relay.revoke(Bed.gatewayName)
                #expect(revoke.status.isSuccess, "\(revoke)")
                let refusal = try await poller.waitForLine(containing: "was revoked", timeout: .seconds(10))
                guard case .double(let at) = try JSONParser.parse(refusal)["at"] ?? .null else {
                    Issue.record("no time in \(refusal)")
                    return
                }
                #expect(at - revokedAt < 1.0, "refused \(at - revokedAt) s after the revocation")
                // kubectl through the gateway (its pooled connection was closed): refused, naming the revocation.
                let refused = try await kubectl.run(["get", "ns", "default"])
                #expect(refused.exitCode == 1 && refused.standardError.contains("revoked"), "\(refused)")
                let sessions = try Self.relaySessions(bed).filter { $0["kind"] == "refused" }
                #expect(sessions.contains { $0["reason"]?.stringValue?.contains("was revoked") == true }, "\(sessions)")
            }
        }
    }
}
