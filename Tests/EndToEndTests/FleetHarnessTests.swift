import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Tests of the fleet harness (issue 12): the throwaway central PostgreSQL, the fleet's hosts on one
    /// switch, and the fleet testbed with several gateways. They need root (namespaces, the `postgres`
    /// user) and PostgreSQL 15 from scripts/setup.sh.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct FleetHarnessTests {
        static let central = FleetHosts.centralAddress

        /// Runs `body` with a fleet of one agent and a database on the central host, always removed.
        static func withDatabase<T>(_ body: (FleetHosts, PostgresCluster) async throws -> T) async throws -> T {
            try await FleetHosts.with(agents: 1) { hosts in
                let started = ContinuousClock.now
                let postgres = try await PostgresCluster.start(in: hosts.central, address: central)
                defer { postgres.remove() }
                print("PostgresCluster.start took \(ContinuousClock.now - started)")
                return try await body(hosts, postgres)
            }
        }

        // MARK: PostgresCluster

        @Test("the database speaks TLS 1.3 to verify-full clients only: plaintext, a foreign CA, a wrong name and a wrong password are refused")
        func databaseIsTLSOnly() async throws {
            try await Self.withDatabase { hosts, postgres in
                let agent = hosts.agents[0]
                let tls = try postgres.psql("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()", from: agent)
                #expect(tls.status.isSuccess && tls.standardOutput == "t|TLSv1.3\n", "\(tls)")
                #expect(!tls.command.contains(postgres.superuserPassword), "the password stays out of the command line")
                let byName = try postgres.psql("select current_database()", from: agent,
                                               connection: ["host": PostgresCluster.serverName, "hostaddr": Self.central])
                #expect(byName.status.isSuccess && byName.standardOutput == "portcullis\n", "DNS:central.test is in the certificate: \(byName)")

                let plaintext = try postgres.psql("select 1", from: agent, connection: ["sslmode": "disable"])
                #expect(plaintext.status == .exited(2) && plaintext.standardError.contains("no encryption"), "\(plaintext)")
                let wrongName = try postgres.psql("select 1", from: agent, connection: ["host": "other.test", "hostaddr": Self.central])
                #expect(wrongName.status == .exited(2) && wrongName.standardError.contains("does not match host name"), "\(wrongName)")
                let other = try TemporaryDirectory.create(purpose: "foreign-ca")
                defer { other.remove() }
                let foreign = try TestCertificateAuthority.create(in: other.path, name: "Foreign CA")
                let wrongCA = try postgres.psql("select 1", from: agent, connection: ["sslrootcert": foreign.certificatePath])
                #expect(wrongCA.status == .exited(2) && wrongCA.standardError.contains("certificate verify failed"), "\(wrongCA)")
                let wrongPassword = try postgres.psql("select 1", password: "not-the-password", from: agent)
                #expect(wrongPassword.status == .exited(2) && wrongPassword.standardError.contains("password authentication failed"),
                        "\(wrongPassword)")
                let failing = try postgres.psql("select 1; select * from no_such_table; select 2")
                #expect(failing.status == .exited(3) && failing.standardOutput == "1\n" && failing.standardError.contains("no_such_table"),
                        "psql stops at the first error and says so: \(failing)")
            }
        }

        @Test("members of portcullis_cert_login log in with a certificate whose CN is their name; others use SCRAM")
        func certificateLogin() async throws {
            try await Self.withDatabase { hosts, postgres in
                let agent = hosts.agents[0]
                let uid = InterceptTestbed.gatewayUID
                let created = try postgres.psql("""
                    CREATE ROLE "runner-a" LOGIN IN ROLE \(PostgresServerConfiguration.certificateLoginRole);
                    CREATE ROLE reviewer LOGIN PASSWORD 'reviewer-secret';
                    """)
                #expect(created.status.isSuccess, "\(created)")
                let own = try postgres.clientCertificate(commonName: "runner-a", owner: uid)
                let key = try FileManager.default.attributesOfItem(atPath: own.key)
                #expect((key[.posixPermissions] as? Int) == 0o600 && (key[.ownerAccountID] as? Int) == Int(uid), "\(key)")
                let withCertificate = ["sslcert": own.certificate, "sslkey": own.key]

                let loggedIn = try postgres.psql("select current_user", user: "runner-a", from: agent, connection: withCertificate)
                #expect(loggedIn.status.isSuccess && loggedIn.standardOutput == "runner-a\n", "\(loggedIn)")
                let noCertificate = try postgres.psql("select 1", user: "runner-a", password: "anything", from: agent)
                #expect(noCertificate.status == .exited(2) && noCertificate.standardError.contains("requires a valid client certificate"),
                        "\(noCertificate)")
                let stranger = try postgres.clientCertificate(commonName: "runner-b", owner: uid)
                let wrongName = try postgres.psql("select 1", user: "runner-a", from: agent,
                                                  connection: ["sslcert": stranger.certificate, "sslkey": stranger.key])
                #expect(wrongName.status == .exited(2) && wrongName.standardError.contains("certificate authentication failed"), "\(wrongName)")

                let reviewer = try postgres.psql("select current_user", user: "reviewer", password: "reviewer-secret", from: agent)
                #expect(reviewer.status.isSuccess && reviewer.standardOutput == "reviewer\n", "\(reviewer)")
                let file = try postgres.writePasswordFile("reviewer-secret", owner: uid)
                let attributes = try FileManager.default.attributesOfItem(atPath: file)
                #expect((attributes[.posixPermissions] as? Int) == 0o600 && (attributes[.ownerAccountID] as? Int) == Int(uid))
                #expect(try String(contentsOfFile: file, encoding: .utf8) == "reviewer-secret\n")
            }
        }

        @Test("an immediate stop and a fast stop both keep committed rows across restart()")
        func stopAndRestartKeepData() async throws {
            try await Self.withDatabase { _, postgres in
                #expect(try postgres.psql("CREATE TABLE rows (n int); INSERT INTO rows VALUES (1);").status.isSuccess)
                try postgres.stop(fast: false)
                #expect(postgres.serverProcessIdentifiers.isEmpty)
                let down = try postgres.psql("select 1", connection: ["connect_timeout": "3"])
                #expect(down.status == .exited(2) && down.standardError.contains("Connection refused"), "\(down)")
                try postgres.restart()
                #expect(try postgres.psql("INSERT INTO rows VALUES (2); SELECT count(*) FROM rows;").standardOutput == "INSERT 0 1\n2\n")
                try postgres.stop(fast: true)
                try postgres.restart()
                #expect(try postgres.psql("SELECT string_agg(n::text, ',' ORDER BY n) FROM rows").standardOutput == "1,2\n")
                try postgres.restart()
                #expect(try postgres.psql("SELECT count(*) FROM rows").standardOutput == "2\n", "restart() of a running server")
            }
        }

        @Test("pause() makes a connection attempt time out without refusing it; resume() recovers")
        func pauseAndResume() async throws {
            try await Self.withDatabase { hosts, postgres in
                try postgres.pause()
                let started = ContinuousClock.now
                let paused = try postgres.psql("select 1", from: hosts.agents[0], connection: ["connect_timeout": "2"])
                let waited = ContinuousClock.now - started
                #expect(paused.status == .exited(2) && paused.standardError.contains("timeout expired"), "\(paused)")
                #expect(waited >= .seconds(2) && waited < .seconds(15), "\(waited)")
                postgres.resume()
                let resumed = try postgres.psql("select 1", from: hosts.agents[0])
                #expect(resumed.status.isSuccess && resumed.standardOutput == "1\n", "\(resumed)")
            }
        }

        @Test("remove() leaves no server process and no directory, and may be called again")
        func removeLeavesNothing() async throws {
            try await FleetHosts.with(agents: 1) { hosts in
                let postgres = try await PostgresCluster.start(in: hosts.central, address: Self.central)
                defer { postgres.remove() }
                let pids = postgres.serverProcessIdentifiers
                let directory = URL(fileURLWithPath: postgres.dataDirectory).deletingLastPathComponent().path
                #expect(pids.count >= 4, "postmaster and its background processes: \(pids)")
                #expect(FileManager.default.fileExists(atPath: postgres.logPath))
                try postgres.pause()
                postgres.remove()
                #expect(pids.filter(Self.isAlive).isEmpty, "still alive: \(pids.filter(Self.isAlive))")
                #expect(!FileManager.default.fileExists(atPath: directory))
                postgres.remove()
            }
        }

        /// True while `pid` exists and is not a zombie.
        static func isAlive(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !["Z", "X"].contains(stat[stat.index(after: close)...].split(separator: " ").first)
        }

        // MARK: FleetHosts

        @Test("every fleet host reaches every other over the switch, nothing else; a disconnected host is cut off until reconnected")
        func fleetHostsAreOneSegment() async throws {
            var names: [String] = []
            try await FleetHosts.with(agents: 3) { hosts in
                names = hosts.namespaces.map(\.name)
                #expect(hosts.agentAddresses == ["198.18.0.1", "198.18.0.11", "198.18.0.12"])
                for namespace in hosts.namespaces { try VethLink.requireNoDefaultRoute(in: namespace) }
                let everyone = hosts.addressedHosts
                var banners: [ChildProcess] = []  // a released ChildProcess is killed
                defer { banners.forEach { $0.kill() } }
                for (host, address) in everyone {
                    let banner = try host.launch("/usr/bin/python3", [try PythonTools.clientScript("tcp_banner.py"), host.role, "\(address):7000"],
                                                 options: LaunchOptions(label: "banner on \(host.role)"))
                    banners.append(banner)
                    try await banner.waitForLine(containing: "ready")
                }
                for (source, _) in everyone {
                    for (target, address) in everyone where target.name != source.name {
                        let reply = try await Self.banner(from: source, to: address)
                        #expect(reply == "banner \(target.role) from \(address):7000\n", "\(source.role) → \(target.role): \(reply)")
                    }
                }
                let outside = try await Self.banner(from: hosts.agents[0], to: "192.0.2.1")
                #expect(outside.contains("unreachable"), "nothing routes out of the fleet: \(outside)")

                try hosts.disconnect(hosts.central)
                let cut = try await Self.banner(from: hosts.agents[1], to: Self.central)
                #expect(cut.contains("No route to host") || cut.contains("timed out"), "\(cut)")
                let outbound = try await Self.banner(from: hosts.central, to: FleetHosts.clusterAddress)
                #expect(outbound.contains("No route to host") || outbound.contains("timed out"), "\(outbound)")
                #expect(try await Self.banner(from: hosts.agents[1], to: FleetHosts.clusterAddress).hasPrefix("banner cluster"),
                        "the others still reach each other")
                try hosts.reconnect(hosts.central)
                #expect(try await Self.banner(from: hosts.agents[1], to: Self.central).hasPrefix("banner central"))
            }
            #expect(Set(TestHostsTests.namespaceList()).isDisjoint(with: names), "every namespace is removed")
        }

        /// The banner line a connection from `source` to `address`:7000 gets, or the error.
        static func banner(from source: NetworkNamespace, to address: String) async throws -> String {
            let result = try source.run("/usr/bin/python3", [try PythonTools.clientScript("net_client.py"), "tcp", address, "7000",
                                                             "--timeout", "5"])
            let report = try JSONParser.parse(TextLines.lines(of: result.standardOutput).last ?? "")
            return report["received"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? report["error"]?.stringValue ?? "\(result)"
        }

        // MARK: FleetTestbed

        @Test("two gateways on two agent hosts: kubectl works through each, each store holds only its own requests, the cluster saw both")
        func twoGateways() async throws {
            try await FleetTestbed.with(agents: 2) { bed in
                #expect(bed.gateways.map(\.hostName) == ["runner-a", "runner-b"])
                for gateway in bed.gateways {
                    let kubectl = try gateway.kubectl(minor: 32)
                    defer { kubectl.remove() }
                    let pods = try await kubectl.run(["get", "pods"])
                    #expect(pods.exitCode == 0 && pods.standardError.contains("No resources found in default namespace"), "\(pods)")
                    let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-\(gateway.hostName)\ndata:\n  host: \(gateway.hostName)\n"
                    let created = try await kubectl.run(["create", "-f", "-"], stdin: configMap)
                    #expect(created.outputLines == ["configmap/from-\(gateway.hostName) created"], "\(created)")
                }
                for (gateway, other) in zip(bed.gateways, bed.gateways.reversed()) {
                    let sessions = try gateway.portcullis(["sessions", "--json", "--verb", "create", "--resource", "configmaps"])
                    #expect(sessions.status.isSuccess && TextLines.lines(of: sessions.standardOutput).count == 1, "\(sessions)")
                    let exported = try gateway.portcullis(["export", "--format", "audit", "--level", "Metadata"])
                    #expect(exported.status.isSuccess, "\(exported)")
                    let events = try TextLines.lines(of: exported.standardOutput).map { try AuditEvent(jsonLine: Array($0.utf8)) }
                    let creates = events.filter { $0.verb == "create" }
                    #expect(creates.compactMap(\.objectRef?.name) == ["from-\(gateway.hostName)"],
                            "\(gateway.hostName) recorded its own create only, not from-\(other.hostName): \(creates.map(AuditLog.summary))")
                    #expect(events.contains { $0.verb == "list" && $0.objectRef?.resource == "pods" }, "\(events.map(AuditLog.summary))")
                    // The cluster saw the same request (same audit ID), coming from this gateway's host.
                    let create = try #require(creates.first)
                    let seen = try await bed.sandbox.auditLog.waitForEvent { $0.auditID == create.auditID && $0.stage == .responseComplete }
                    #expect(seen.sourceIPs == [gateway.address] && seen.responseStatus?.code == 201, "\(AuditLog.summary(seen)) from \(seen.sourceIPs)")
                    #expect(seen.impersonatedUser?.username == GatewayTestbed.username)
                }
                let clusterCreates = try bed.sandbox.auditLog.events().filter { $0.verb == "create" && $0.stage == .responseComplete }
                #expect(Set(clusterCreates.flatMap(\.sourceIPs)) == Set(bed.gateways.map(\.address)), "\(clusterCreates.map(AuditLog.summary))")
                let reachable = try bed.postgres.psql("select 1", from: bed.gateways[1].agent)
                #expect(reachable.standardOutput == "1\n", "the agent hosts reach the central database: \(reachable)")
            }
        }

        @Test("fleet lifecycle: the central section and the hook, a gateway started later, kill -9 and restart, a destroyed agent host")
        func fleetLifecycle() async throws {
            let hooked = LockedLog()
            try await FleetTestbed.with(agents: 2, startGateways: false, central: { setup in
                let password = try setup.writePasswordFile("secret of \(setup.hostName)")
                let attributes = try FileManager.default.attributesOfItem(atPath: password)
                #expect((attributes[.posixPermissions] as? Int) == 0o600 && (attributes[.ownerAccountID] as? Int) == Int(setup.gatewayUID))
                // A comment: the section reaches the file without a key `portcullis up` does not know yet.
                return "# central: \(setup.hostName) \(setup.postgresAddress):\(setup.postgresPort) ca \(setup.caFile)"
            }, beforeStart: { setup, gateway in
                hooked.append("\(setup.hostName) \(gateway.process == nil ? "before" : "after") up")
            }) { bed in
                for (setup, gateway) in zip(bed.setups, bed.gateways) {
                    let config = try String(contentsOfFile: gateway.configPath, encoding: .utf8)
                    #expect(config.hasSuffix("\n# central: \(setup.hostName) \(Self.central):5432 ca \(setup.workDirectory)/central-ca.crt\n"), "\(config)")
                    let ca = try FileManager.default.attributesOfItem(atPath: setup.caFile)
                    #expect((ca[.posixPermissions] as? Int) == 0o644)
                    #expect(try Data(contentsOf: URL(fileURLWithPath: setup.caFile)) == Data(contentsOf: URL(fileURLWithPath: bed.postgres.caCertificatePath)))
                    #expect(gateway.process == nil, "nothing started yet")
                }
                try await bed.start(0)
                #expect(hooked.entries == ["runner-a before up"])
                #expect(bed.gateways[1].process == nil)
                let kubectl = try bed.gateways[0].kubectl()
                defer { kubectl.remove() }
                #expect(try await kubectl.run(["get", "ns", "default"]).exitCode == 0)

                #expect(try await bed.gateways[0].kill(signal: SIGKILL) == .signalled(SIGKILL))
                let refused = try await kubectl.run(["get", "ns", "default", "--request-timeout=5s"])
                #expect(refused.exitCode == 1, "no gateway, no access: \(refused)")
                try await bed.gateways[0].restart()
                let again = try await kubectl.run(["get", "ns", "default"])
                #expect(again.exitCode == 0, "\(again)")
                #expect(bed.gateways[0].allRuns.count == 2 && bed.gateways[0].events("ready").count == 2)
                let recorded = try bed.reviewerPortcullis(["sessions", "--json"], config: bed.gateways[0].configPath)
                #expect(recorded.status.isSuccess && !recorded.standardOutput.isEmpty, "\(recorded)")

                try await bed.start(1)
                #expect(hooked.entries == ["runner-a before up", "runner-b before up"])
                let work = bed.gateways[1].work.path, agent = bed.hosts.agents[1].name
                bed.destroyAgent(1)
                #expect(!FileManager.default.fileExists(atPath: work))
                #expect(!TestHostsTests.namespaceList().contains(agent))
                let destroyed = try #require(bed.gateways[1].process)
                #expect(try await destroyed.waitForExit(timeout: .seconds(10)) == .signalled(SIGKILL), "no clean shutdown")
            }
        }
    }
}
