import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// The fleet with a real PostgreSQL (issue 12): gateways on their own agent hosts ship their
    /// record to the central host; a reviewer host reads the fleet, reviews and grants.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct CentralEndToEndTests {
        typealias Gateway = GatewayEndToEndTests

        // MARK: The fleet's setup, as docs/central.md tells an operator

        /// Each gateway's login role is its host name, with this password.
        static func password(_ host: String) -> String { "pw-\(host)-0123456789" }
        static let reviewerPassword = "pw-alice-0123456789"

        /// The gateway's `central:` section.
        static func section(_ setup: FleetGatewaySetup, mode: String = "async", drainTimeout: String = "30s",
                            extra: String = "") throws -> String {
            let passwordFile = try setup.writePasswordFile(password(setup.hostName))
            return """
                central:
                  host: \(setup.postgresAddress)
                  port: \(setup.postgresPort)
                  user: \(setup.hostName)
                  passwordFile: \(passwordFile)
                  caFile: \(setup.caFile)
                  hostName: \(setup.hostName)
                  mode: \(mode)
                  drainTimeout: \(drainTimeout)
                  requiredTimeout: 3s
                  pollInterval: 1s\(extra)
                """
        }

        /// Before the first gateway starts: `central migrate` as the owner, then the roles SQL
        /// `central roles` prints, run as the superuser, with the passwords set.
        static func prepareDatabase(_ setup: FleetGatewaySetup, hosts: Int) throws {
            guard setup.index == 0 else { return }
            let postgres = setup.postgres
            let directory = try TemporaryDirectory.create(purpose: "central-admin")
            defer { directory.remove() }
            let passwordFile = try postgres.writePasswordFile(postgres.superuserPassword, owner: 0)
            let admin = try directory.write("""
                central:
                  host: \(postgres.address)
                  user: \(postgres.superuser)
                  passwordFile: \(passwordFile)
                  caFile: \(postgres.caCertificatePath)
                """, to: "admin.yaml")
            let migrated = try postgres.namespace.run(try Products.gateway(), ["central", "migrate", "--config", admin])
            guard migrated.status.isSuccess, migrated.standardOutput.contains("applied migration 1") else {
                throw HarnessError("central migrate failed: \(migrated)")
            }
            let names = (0..<hosts).map(FleetTestbed.hostName)
            let roles = try HostCommand.run(try Products.gateway(), ["central", "roles", "--reviewer", "alice"]
                                            + names.flatMap { ["--gateway", $0] })
            guard roles.status.isSuccess else { throw HarnessError("central roles failed: \(roles)") }
            let passwords = names.map { "ALTER ROLE \"\($0)\" PASSWORD '\(password($0))';" } + ["ALTER ROLE alice PASSWORD '\(reviewerPassword)';"]
            let applied = try postgres.psql(roles.standardOutput + passwords.joined(separator: "\n"))
            guard applied.status.isSuccess else { throw HarnessError("the roles SQL failed: \(applied)") }
        }

        /// The reviewer's file: nothing but `central:`, as on a reviewer's laptop.
        static func reviewerConfig(_ bed: FleetTestbed) throws -> String {
            let passwordFile = try bed.postgres.writePasswordFile(reviewerPassword, owner: 0)
            return try bed.work.write("""
                central:
                  host: \(bed.postgres.address)
                  user: alice
                  passwordFile: \(passwordFile)
                  caFile: \(bed.postgres.caCertificatePath)
                """, to: "reviewer.yaml")
        }

        static func with<T>(agents: Int = 2, mode: String = "async", drainTimeout: String = "30s", extra: String = "",
                            options: GatewayOptions = GatewayOptions(), _ body: (FleetTestbed) async throws -> T) async throws -> T {
            try await FleetTestbed.with(agents: agents, options: options,
                                        central: { try section($0, mode: mode, drainTimeout: drainTimeout, extra: extra) },
                                        beforeStart: { setup, _ in try prepareDatabase(setup, hosts: agents) }, body)
        }

        /// One gateway that has made a first call and shipped it: most outage tests start here.
        static func withOneGateway(mode: String = "async", drainTimeout: String = "30s", extra: String = "",
                                   _ body: (FleetTestbed, GatewayInstance, Kubectl) async throws -> Void) async throws {
            try await with(agents: 1, mode: mode, drainTimeout: drainTimeout, extra: extra) { bed in
                let gateway = bed.gateways[0]
                let kubectl = try gateway.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "pods", "-A"])
                try await shipped(gateway)
                try await body(bed, gateway, kubectl)
            }
        }

        /// PostgreSQL holds exactly the gateway's local rows: the same count and seq range, no gap.
        static func expectSameRows(_ bed: FleetTestbed, _ gateway: GatewayInstance,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws -> (count: Int, min: Int, max: Int) {
            let local = try localRows(gateway)
            let central = try centralRows(bed, host: gateway.hostName)
            #expect(central.count == local.count && central.min == local.min && central.max == local.max,
                    "local \(local), central \(central)", sourceLocation: sourceLocation)
            #expect(central.count == central.max - central.min + 1, "no gap", sourceLocation: sourceLocation)
            return local
        }

        /// The gateway's `status --json` central section.
        static func central(_ gateway: GatewayInstance) throws -> JSONValue {
            let status = try gateway.portcullis(["status", "--json"])
            return try JSONParser.parse(status.standardOutput)["central"] ?? .null
        }

        /// Waits until the gateway says every row is in PostgreSQL.
        static func shipped(_ gateway: GatewayInstance, timeout: Duration = .seconds(30)) async throws {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            while true {
                let c = try central(gateway)
                if c["rowsBehind"]?.intValue == 0, c["reachable"]?.boolValue == true { return }
                guard clock.now < deadline else { throw HarnessError("\(gateway.hostName) did not finish shipping: \(c)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        /// Sessions as the reviewer lists them, one JSON object each.
        static func centralSessions(_ bed: FleetTestbed, _ config: String, _ extra: [String] = []) throws -> [JSONValue] {
            let result = try bed.reviewerPortcullis(["sessions", "--central", "--json"] + extra, config: config)
            #expect(result.status.isSuccess, "\(result)")
            return try result.standardOutput.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        }

        /// The superuser's view of how many rows each table holds for `host`, and the seq range.
        static func centralRows(_ bed: FleetTestbed, host: String) throws -> (count: Int, min: Int, max: Int) {
            let tables = ["connections", "connection_ends", "requests", "responses", "stream_events", "guard_events", "tamper_events",
                          "checkpoints", "store_outages", "reviews", "grants", "grant_revocations", "runs"]
            let union = tables.map { "SELECT seq FROM portcullis.\($0) WHERE host = '\(host)'" }.joined(separator: " UNION ALL ")
            let result = try bed.postgres.psql("SELECT count(*), count(DISTINCT seq), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM (\(union)) s")
            let fields = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
            guard fields.count == 4 else { throw HarnessError("cannot count \(host)'s rows: \(result)") }
            #expect(fields[0] == fields[1], "\(host): no seq twice")
            return (fields[0], fields[2], fields[3])
        }

        /// The local store's row count and seq range, from verify.
        static func localRows(_ gateway: GatewayInstance) throws -> (count: Int, min: Int, max: Int) {
            let result = try HostCommand.run("/usr/bin/sqlite3", [gateway.storePath, """
                SELECT count(*), min(seq), max(seq) FROM (SELECT seq FROM connections UNION ALL SELECT seq FROM connection_ends UNION ALL
                SELECT seq FROM requests UNION ALL SELECT seq FROM responses UNION ALL SELECT seq FROM stream_events UNION ALL
                SELECT seq FROM guard_events UNION ALL SELECT seq FROM tamper_events UNION ALL SELECT seq FROM checkpoints UNION ALL
                SELECT seq FROM store_outages UNION ALL SELECT seq FROM reviews UNION ALL SELECT seq FROM grants UNION ALL
                SELECT seq FROM grant_revocations UNION ALL SELECT seq FROM runs)
                """])
            let fields = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
            guard fields.count == 3 else { throw HarnessError("cannot count \(gateway.hostName)'s local rows: \(result)") }
            return (fields[0], fields[1], fields[2])
        }

        /// A ConfigMap applied from YAML: kubectl 1.32 sends `create configmap` as protobuf, which the
        /// sandbox does not read.
        static func configMap(_ name: String, namespace: String = "default") -> String {
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n  namespace: \(namespace)\ndata:\n  a: b\n"
        }

        // MARK: Two gateways, one PostgreSQL

        @Test("two gateways ship to one PostgreSQL: sessions --central shows both hosts, export --central holds every request of both")
        func twoGateways() async throws {
            try await Self.with { bed in
                let reviewer = try Self.reviewerConfig(bed)
                for gateway in bed.gateways {
                    let kubectl = try gateway.kubectl()
                    defer { kubectl.remove() }
                    try await Gateway.succeed(kubectl, ["get", "pods", "-A"])
                    try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Self.configMap("from-\(gateway.hostName)"))
                }
                for gateway in bed.gateways { try await Self.shipped(gateway) }
                let sessions = try Self.centralSessions(bed, reviewer)
                #expect(Set(sessions.compactMap { $0["host"]?.stringValue }) == ["runner-a", "runner-b"], "\(sessions)")
                let hosts = try bed.reviewerPortcullis(["central", "hosts", "--json"], config: reviewer)
                let listed = try hosts.standardOutput.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
                #expect(listed.compactMap { $0["host"]?.stringValue } == ["runner-a", "runner-b"], "\(hosts)")
                for (gateway, host) in zip(bed.gateways, listed) {
                    #expect(host["lastSeq"]?.intValue == Int64(try Self.localRows(gateway).max), "\(host)")
                }
                let table = try bed.reviewerPortcullis(["sessions", "--central"], config: reviewer)
                let header = TextLines.lines(of: table.standardOutput).first ?? ""
                #expect(header.hasPrefix("TIME") && header.contains("HOST"), "\(table)")
                let export = try bed.reviewerPortcullis(["export", "--central", "--format", "audit"], config: reviewer)
                #expect(export.status.isSuccess, "\(export)")
                let events = try export.standardOutput.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
                for gateway in bed.gateways {
                    let local = try gateway.portcullis(["export", "--format", "audit"])
                    let ids = Set(try local.standardOutput.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8))["auditID"]?.stringValue ?? "" })
                    let central = Set(events.filter { $0[path: "annotations", "portcullis.io/host"]?.stringValue == gateway.hostName }
                        .compactMap { $0["auditID"]?.stringValue })
                    #expect(!ids.isEmpty && central == ids, "\(gateway.hostName): every request of the local record, and only those")
                }
                #expect(events.contains { $0["objectRef"]?["name"]?.stringValue == "from-runner-b" })
                let verified = try bed.reviewerPortcullis(["verify", "--central"], config: reviewer)
                let lines = TextLines.lines(of: verified.standardOutput)
                #expect(verified.status.isSuccess && lines.count == 2, "\(verified)")
                #expect(lines.allSatisfy { $0.contains("central: the record is intact") }, "\(verified)")
            }
        }

        // MARK: Outages

        @Test("async mode: PostgreSQL stopped for 10 s under load; the agent notices nothing, then the backlog ships: same seqs, and it verifies")
        func asyncOutage() async throws {
            try await Self.withOneGateway { bed, gateway, kubectl in
                try bed.postgres.stop(fast: true)
                let clock = ContinuousClock()
                let until = clock.now + .seconds(10)
                var calls = 0
                while clock.now < until {
                    let result = try await kubectl.run(calls % 2 == 0 ? ["get", "configmaps", "-n", "default"] : ["apply", "-f", "-"],
                                                       stdin: calls % 2 == 0 ? nil : Self.configMap("during-\(calls)"))
                    #expect(result.exitCode == 0, "the agent does not notice the outage: \(result)")
                    calls += 1
                }
                #expect(calls >= 3)
                let during = try Self.central(gateway)
                #expect(during["reachable"]?.boolValue == false && (during["rowsBehind"]?.intValue ?? 0) > 0, "\(during)")
                #expect(during["oldestUnshippedAgeSeconds"] != nil && during["lastError"]?.stringValue?.contains("cannot be reached") == true, "\(during)")
                let metrics = try gateway.scrapeMetrics()
                #expect("\(metrics)".contains("portcullis_central_rows_behind"), "the metrics show the backlog")
                try bed.postgres.restart()
                try await Self.shipped(gateway, timeout: .seconds(60))
                let local = try Self.expectSameRows(bed, gateway)
                let verified = try gateway.portcullisOnAgentHost(["verify", "--central"])
                #expect(verified.status.isSuccess, "\(verified)")
                #expect(verified.standardOutput.contains("runner-a: local: matches what was shipped: \(local.count) rows compared"), "\(verified)")
                let reviewer = try Self.reviewerConfig(bed)
                let content = try bed.reviewerPortcullis(["verify", "--central"], config: reviewer)
                #expect(content.status.isSuccess && content.standardOutput.contains("central: the record is intact: \(local.count) rows"), "\(content)")
            }
        }

        @Test("SIGTERM while PostgreSQL is down: the gateway drains for drainTimeout, says how many rows are left, and ships them at its next start")
        func drainThenShipLater() async throws {
            try await Self.withOneGateway(drainTimeout: "2s") { bed, gateway, kubectl in
                try bed.postgres.stop(fast: true)
                for n in 0..<3 { try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Self.configMap("late-\(n)")) }
                let clock = ContinuousClock()
                let stopping = clock.now
                #expect(await gateway.stop(grace: .seconds(20)) == .exited(0))
                #expect(clock.now - stopping < .seconds(10), "the drain gives up after drainTimeout")
                let log = gateway.process?.standardError ?? ""
                #expect(log.contains("rows are not in the central store yet; they stay in the local store"), "\(log.suffix(2000))")
                let left = try Self.localRows(gateway)
                try bed.postgres.restart()
                #expect(try Self.centralRows(bed, host: gateway.hostName).max < left.max, "rows were left behind")
                try await gateway.start()
                try await Self.shipped(gateway, timeout: .seconds(60))
                _ = try Self.expectSameRows(bed, gateway)
            }
        }

        @Test("required mode: while PostgreSQL is down, requests get a 503 naming the central store and nothing reaches the API server")
        func requiredOutage() async throws {
            try await Self.withOneGateway(mode: "required") { bed, _, kubectl in
                try bed.postgres.stop(fast: true)
                let audited = try bed.sandbox.auditLog.events().count
                for _ in 0..<3 {
                    // A raw request: kubectl shows the gateway's Status as it is (apply would first fail on its
                    // OpenAPI download, with kubectl's own words).
                    let refused = try await kubectl.run(["get", "--raw", "/api/v1/namespaces/default/configmaps"])
                    #expect(refused.exitCode != 0, "\(refused)")
                    #expect(refused.standardError.contains("could not be recorded, so it was not forwarded")
                            && refused.standardError.contains("the central store postgresql://runner-a@198.18.0.4:5432/portcullis"), "\(refused)")
                }
                #expect(try bed.sandbox.auditLog.events().count == audited, "nothing was forwarded while the central store was down")
                try bed.postgres.restart()
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(30)
                var created = try await kubectl.run(["apply", "--validate=false", "-f", "-"], stdin: Self.configMap("after"))
                while created.exitCode != 0, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                    created = try await kubectl.run(["apply", "--validate=false", "-f", "-"], stdin: Self.configMap("after"))
                }
                #expect(created.exitCode == 0, "requests pass again once PostgreSQL is back: \(created)")
            }
        }

        // MARK: Ephemeral runners and crashes

        @Test("an ephemeral runner in required mode: after the runner and its state are gone, the central store gives the whole job, exec included")
        func ephemeralRunner() async throws {
            try await Self.with(agents: 1, mode: "required") { bed in
                let gateway = bed.gateways[0]
                let kubectl = try gateway.kubectl()
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                try await Gateway.succeed(kubectl, ["get", "pods", "-n", "demo"])
                let exec = try await Gateway.succeed(kubectl, ["exec", "web-1", "-n", "demo", "--", "echo", "hello from the job"])
                #expect(exec.standardOutput == "hello from the job\n")
                try await Gateway.succeed(kubectl, ["delete", "pod", "web-1", "-n", "demo"])
                kubectl.remove()
                let localSessions = try gateway.portcullis(["sessions", "--json"]).standardOutput.split(separator: "\n").count
                #expect(await gateway.stop() == .exited(0))
                let state = gateway.stateDirectory
                bed.destroyAgent(0)
                #expect(!FileManager.default.fileExists(atPath: state), "the runner's state is gone")
                let reviewer = try Self.reviewerConfig(bed)
                let sessions = try Self.centralSessions(bed, reviewer, ["--host", "runner-a"])
                #expect(sessions.count == localSessions, "every session of the job: \(sessions)")
                let intents = try bed.reviewerPortcullis(["sessions", "--central", "--host", "runner-a"], config: reviewer).standardOutput
                #expect(intents.contains("runner-a"), "\(intents)")
                // The job's run, with the exec folded into its commands: found, shown and replayed from the central store alone.
                var execID: String?
                for session in sessions {
                    let id = "runner-a/" + (session["id"]?.stringValue ?? "")
                    if try bed.reviewerPortcullis(["show", "--central", id], config: reviewer).standardOutput.contains("kubectl exec web-1") {
                        execID = id
                        break
                    }
                }
                let id = try #require(execID, "a run with the exec: \(sessions)")
                #expect(id.hasPrefix("runner-a/run"), "\(id)")
                let shown = try bed.reviewerPortcullis(["show", "--central", id], config: reviewer)
                #expect(shown.status.isSuccess && shown.standardOutput.hasPrefix("host: runner-a") && shown.standardOutput.contains("exec"), "\(shown)")
                let replay = try bed.reviewerPortcullis(["replay", "--central", id, "--speed", "0"], config: reviewer)
                #expect(replay.status.isSuccess && replay.standardOutput.contains("hello from the job"), "\(replay)")
                let all = try bed.reviewerPortcullis(["sessions", "--central", "--host", "runner-a", "--verb", "delete"], config: reviewer)
                #expect(all.standardOutput.contains("runner-a"), "the delete is there too: \(all)")
            }
        }

        @Test("kill -9 in the middle of shipping: after the restart PostgreSQL holds every row once, with no gap")
        func killMidShipment() async throws {
            try await Self.withOneGateway(extra: "\n  batchRows: 20") { bed, gateway, kubectl in
                // A backlog of several hundred rows while the server is paused, then kill -9 once
                // shipping has resumed and is part way through.
                try bed.postgres.pause()
                for n in 0..<40 { try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Self.configMap("cm-\(n)")) }
                let behind = try Self.central(gateway)["rowsBehind"]?.intValue ?? 0
                #expect(behind > 100, "a backlog: \(behind)")
                let before = try Self.central(gateway)["shippedSeq"]?.intValue ?? 0
                bed.postgres.resume()
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(30)
                while (try Self.central(gateway)["shippedSeq"]?.intValue ?? 0) == before, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                let status = try await gateway.kill(signal: SIGKILL)
                #expect(status == .signalled(SIGKILL))
                let partial = try Self.centralRows(bed, host: gateway.hostName)
                let local = try Self.localRows(gateway)
                #expect(partial.max < local.max, "killed part way: central \(partial), local \(local)")
                try await gateway.start()
                try await Self.shipped(gateway, timeout: .seconds(60))
                _ = try Self.expectSameRows(bed, gateway)
                let verified = try gateway.portcullisOnAgentHost(["verify", "--central"])
                #expect(verified.status.isSuccess, "\(verified)")
            }
        }

        // MARK: Who may do what

        @Test("database roles: a gateway's UPDATE, DELETE and rows under another host's name are refused; a superuser's edit is named by verify")
        func databaseRoles() async throws {
            try await Self.with { bed in
                let kubectl = try bed.gateways[0].kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "pods", "-A"])
                try await Self.shipped(bed.gateways[0])
                let asA = { (sql: String) throws -> HostCommandResult in
                    try bed.postgres.psql(sql, user: "runner-a", password: Self.password("runner-a"), from: bed.hosts.agents[0])
                }
                let update = try asA("UPDATE portcullis.requests SET uri = '/' WHERE host = 'runner-a'")
                #expect(!update.status.isSuccess && update.standardError.contains("permission denied"), "\(update)")
                let delete = try asA("DELETE FROM portcullis.requests WHERE host = 'runner-a'")
                #expect(!delete.status.isSuccess && delete.standardError.contains("permission denied"), "\(delete)")
                let forged = try asA("""
                    INSERT INTO portcullis.chain (host, seq, hash, table_name) VALUES ('runner-b', 999, '\\x00', 'connection_ends');
                    INSERT INTO portcullis.connection_ends (host, seq, hash, connection_id, closed_at) VALUES ('runner-b', 999, '\\x00', 1, 1);
                    """)
                #expect(!forged.status.isSuccess && forged.standardError.contains("row-level security"), "\(forged)")
                let reviewer = try Self.reviewerConfig(bed)
                #expect(try bed.reviewerPortcullis(["verify", "--central", "--host", "runner-a"], config: reviewer).status.isSuccess)
                let target = try bed.postgres.psql("SELECT seq FROM portcullis.requests WHERE host = 'runner-a' ORDER BY seq LIMIT 1")
                let seq = target.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                _ = try bed.postgres.psql("UPDATE portcullis.requests SET verb = 'delete' WHERE host = 'runner-a' AND seq = \(seq)")
                let tampered = try bed.reviewerPortcullis(["verify", "--central", "--host", "runner-a"], config: reviewer)
                #expect(tampered.status == .exited(1), "\(tampered)")
                #expect(tampered.standardOutput.contains("runner-a: central: the record was tampered with: requests seq \(seq)"), "\(tampered)")
            }
        }

        // MARK: Reviews and grants across the fleet

        static let reviewPolicy = """
            defaultEffect: deny
            review:
              timeout: 60s
            rules:
              - id: deletes-need-review
                effect: review
                verbs: [delete]
                resources: [pods]
                reason: deletes are reviewed
              - id: setup
                effect: allow
                verbs: [create, patch]
              - id: read
                effect: allow
                verbs: [get, list, watch]
            """

        @Test("a reviewer host approves a delete held on host A; its grant takes effect on host B within 1 s, and so does its revocation")
        func fleetReview() async throws {
            try await Self.with(options: GatewayOptions(policy: Self.reviewPolicy)) { bed in
                let reviewer = try Self.reviewerConfig(bed)
                let a = try bed.gateways[0].kubectl(), b = try bed.gateways[1].kubectl()
                defer { a.remove(); b.remove() }
                try await Gateway.succeed(a, ["apply", "-f", "-"], stdin: Gateway.manifest)
                let held = try a.start(["delete", "pod", "web-1", "-n", "demo"])
                let clock = ContinuousClock()
                var pending: [JSONValue] = []
                let deadline = clock.now + .seconds(20)
                while pending.isEmpty, clock.now < deadline {
                    let listed = try bed.reviewerPortcullis(["pending", "--central", "--json"], config: reviewer)
                    pending = try listed.standardOutput.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
                    if pending.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
                }
                let request = try #require(pending.first)
                #expect(request["host"]?.stringValue == "runner-a" && request["intent"]?.stringValue == "delete pod web-1 in demo", "\(request)")
                let id = try #require(request["id"]?.stringValue)
                let approved = try bed.reviewerPortcullis(["approve", "--central", id, "--reason", "cleanup is fine"], config: reviewer)
                #expect(approved.status.isSuccess && approved.standardOutput.contains("as central role alice"), "\(approved)")
                let started = clock.now
                let done = try await held.waitForExit(timeout: .seconds(10))
                #expect(done == .exited(0), "\(held.report)")
                #expect(clock.now - started < .seconds(1), "the holding gateway learned the decision within 1 s")
                #expect(held.standardOutput.contains("pod \"web-1\" deleted"), "\(held.report)")
                let recorded = try bed.gateways[0].portcullis(["sessions", "--connections", "--verb", "delete", "--outcome", "allowed"])
                #expect(recorded.standardOutput.contains("delete pod web-1 in demo"), "\(recorded)")

                // Host B: deleting a namespace is denied by default; a central grant for B allows it.
                let denied = try await b.run(["delete", "namespace", "demo"])
                #expect(denied.exitCode != 0 && denied.standardError.contains("denied by the default effect"), "\(denied)")
                let granted = try bed.reviewerPortcullis(["grant", "--central", "--host", "runner-b", "--user", "oidc:agent-7", "--verbs", "delete",
                                                          "--resources", "namespaces", "--all-namespaces", "--for", "10m", "--reason", "teardown"],
                                                         config: reviewer)
                #expect(granted.status.isSuccess && granted.standardOutput.contains("on host runner-b"), "\(granted)")
                let grantID = try #require(granted.standardOutput.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
                let grantedAt = clock.now
                var passed = false
                while clock.now - grantedAt < .seconds(3) {
                    let tried = try bed.gateways[1].portcullis(["grants", "--json"])
                    if tried.standardOutput.contains(grantID) { passed = true; break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(passed && clock.now - grantedAt < .seconds(1), "in force on runner-b within 1 s")
                try await Gateway.succeed(b, ["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scratch\n")
                let deleted = try await b.run(["delete", "namespace", "scratch"])
                #expect(deleted.exitCode == 0, "the grant admits it: \(deleted)")
                let onA = try await a.run(["delete", "namespace", "demo"])
                #expect(onA.exitCode != 0, "a grant for runner-b does nothing on runner-a: \(onA)")
                let revoked = try bed.reviewerPortcullis(["revoke", "--central", grantID, "--reason", "done"], config: reviewer)
                #expect(revoked.status.isSuccess, "\(revoked)")
                let revokedAt = clock.now
                var ended = false
                while clock.now - revokedAt < .seconds(3) {
                    let grants = try bed.gateways[1].portcullis(["grants", "--json"])
                    if !grants.standardOutput.contains(grantID) { ended = true; break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(ended && clock.now - revokedAt < .seconds(1), "revoked on runner-b within 1 s")
                try await Gateway.succeed(b, ["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: scratch2\n")
                let again = try await b.run(["delete", "namespace", "scratch2"])
                #expect(again.exitCode != 0, "denied again: \(again)")
                let listed = try bed.reviewerPortcullis(["grants", "--central", "--all"], config: reviewer)
                #expect(listed.standardOutput.contains(grantID) && listed.standardOutput.contains("revoked"), "\(listed)")
            }
        }
    }
}
