import Foundation
import Kube
import Synchronization
import Testing
import TestSupport

extension EndToEnd {
    /// The recording, through the whole gateway with real kubectl: what kubectl sent is what the
    /// store holds, what the cluster saw is what the export says, exec sessions replay byte for
    /// byte, Secrets never reach the file, tampering is caught, and no record means no access.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct StoreEndToEndTests {
        typealias Bed = GatewayTestbed
        typealias Gateway = GatewayEndToEndTests

        // MARK: Completeness

        @Test("every request kubectl sends is recorded once, in order, with its status; the cluster's audit log agrees with the export")
        func completeness() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl(minor: 32)
                defer { kubectl.remove() }
                let steps: [([String], String?)] = [
                    (["get", "ns"], nil),
                    (["apply", "-f", "-"], Gateway.manifest),
                    (["get", "pods", "-n", "demo", "-o", "wide"], nil),
                    (["get", "pod", "missing", "-n", "demo"], nil),
                    (["logs", "web-1", "-n", "demo", "--tail=2"], nil),
                    (["exec", "web-1", "-n", "demo", "--", "echo", "hi"], nil),
                    (["delete", "pod", "web-1", "-n", "demo"], nil),
                ]
                var sent: [KubectlRoundTrip] = []
                for (arguments, stdin) in steps {
                    let result = try await kubectl.run(["-v=6"] + arguments, stdin: stdin)
                    sent += KubectlRoundTrip.parse(result.standardError)
                }
                #expect(sent.contains { $0.status == 404 } && sent.contains { $0.status == 101 } && sent.count >= 10, "\(sent)")
                let exported = try Self.export(bed).filter { $0.stage == .responseComplete }
                #expect(exported.map { "\($0.requestURI) \($0.responseStatus?.code ?? 0)" } == sent.map { "\($0.requestURI) \($0.status)" })
                #expect(exported.allSatisfy { $0.impersonatedUser?.username == "oidc:\(Bed.subject)" && $0.user.username == "portcullis" })

                let last = try #require(exported.last)
                _ = try await bed.sandbox.auditLog.waitForEvent { $0.auditID == last.auditID && $0.stage == .responseComplete }
                let cluster = try bed.sandbox.auditLog.events().filter { $0.stage == .responseComplete }
                #expect(cluster.map(Self.key) == exported.map(Self.key), "the cluster's audit log and the export list the same requests")
            }
        }

        // MARK: Exec replay

        /// A short exec's output often shares a segment with the sandbox's 101 (WebSocket); it once sat
        /// unflushed in the relay and was dropped when the upstream closed (1006 at kubectl).
        @Test("short execs in a row all return their output (1.32 WebSocket, 1.28 SPDY)", arguments: [32, 28])
        func shortExecsInARow(minor: Int) async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl(minor: minor)
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                var failures: [String] = []
                for n in 0..<25 {
                    let exec = try await kubectl.run(["exec", "web-1", "-n", "demo", "--", "echo", "exec \(n)"])
                    if exec.exitCode != 0 || exec.standardOutput != "exec \(n)\n" { failures.append("\(n): \(exec)") }
                }
                #expect(failures.isEmpty, "\(failures.count) of 25 execs failed: \(failures.prefix(3))")
            }
        }

        @Test("an exec replays its exact bytes: stdin, stdout, stderr and the exit code (1.32 WebSocket, 1.28 SPDY)",
              arguments: [32, 28])
        func execReplay(minor: Int) async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl(minor: minor)
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                let stdin = "echo to stdout\ncat /missing\necho \"done ✓\"\nexit 3\n"
                let exec = try await kubectl.run(["exec", "-i", "web-1", "-n", "demo", "--", "sh"], stdin: stdin)
                #expect(exec.exitCode == 3, "\(exec)")
                #expect(exec.standardOutput == "to stdout\ndone ✓\n", "\(exec)")
                let remoteError = "cat: /missing: No such file or directory\n"
                #expect(exec.standardError.hasPrefix(remoteError), "\(exec)")

                let id = try Self.execRequestID(bed)
                let shown = try Self.json(try bed.portcullis(["show", id, "--json"]))
                let events = shown["events"]?.arrayValue ?? []
                let sentStdin = events.filter { $0["channel"] == "stdin" }.compactMap { $0["data"]?.stringValue }.joined()
                #expect(sentStdin == stdin, "the recorded stdin: \(events)")
                #expect(shown[path: "stream", "exitCode"] == 3, "\(shown)")

                let replay = try bed.portcullis(["replay", id, "--speed", "0", "--output-only"])
                #expect(replay.status.isSuccess, "\(replay)")
                #expect(replay.standardOutput == exec.standardOutput, "\(replay)")
                #expect(replay.standardError == remoteError, "\(replay)")
                let narrated = try bed.portcullis(["replay", id, "--speed", "0"])
                #expect(narrated.standardOutput.contains("exit code 3"), "\(narrated)")
            }
        }

        // MARK: Redaction

        @Test("a Secret created, read, listed and watched, and the bearer token, never appear in the database file")
        func redaction() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let value = "hunter2-\(UUID().uuidString)"
                let stringValue = "plain-\(UUID().uuidString)"
                let encoded = Data(value.utf8).base64EncodedString()
                let secret = { (name: String) in
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: \(name)\n  namespace: default\ntype: Opaque\n"
                        + "data:\n  password: \(encoded)\nstringData:\n  token: \(stringValue)\n"
                }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: secret("db-credentials"))
                let watch = try kubectl.start(["get", "secrets", "-w", "-o", "json"])
                defer { watch.kill() }
                _ = try await watch.waitForLine(containing: "db-credentials")
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: secret("api-credentials"))
                _ = try await watch.waitForLine(containing: "api-credentials")
                let read = try await Gateway.succeed(kubectl, ["get", "secret", "db-credentials", "-o", "yaml"])
                #expect(read.standardOutput.contains(encoded), "kubectl itself sees the value: \(read)")
                let listed = try await Gateway.succeed(kubectl, ["get", "secrets", "-o", "json"])
                #expect(listed.standardOutput.contains(encoded))
                let token = try #require(try await bed.mint([["key": "rsa-1", "alg": "RS256", "claims": Gateway.claims(bed, [:])]]).first)
                try await Gateway.succeed(kubectl, ["--token", token, "get", "secret", "api-credentials", "-o", "yaml"])
                await watch.terminate()

                let requests = try Self.export(bed).filter { $0.objectRef?.resource == "secrets" }
                #expect(Set(requests.map(\.verb)).isSuperset(of: ["create", "get", "list", "watch"]), "\(requests.map(AuditLog.summary))")
                let files = try FileManager.default.contentsOfDirectory(atPath: (bed.storePath as NSString).deletingLastPathComponent)
                    .filter { $0.hasPrefix("recording.sqlite") }
                #expect(files.contains("recording.sqlite"))
                for file in files {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: (bed.storePath as NSString).deletingLastPathComponent + "/" + file))
                    for needle in [value, encoded, stringValue, token] {
                        #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(file) holds a secret in clear: \(needle.prefix(12))…")
                    }
                }
            }
        }

        // MARK: Verification

        @Test("verify passes an untouched store and names an edited row, a deleted row and a swapped pair")
        func verification() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["apply", "-f", "-"], stdin: Gateway.manifest)
                try await Gateway.succeed(kubectl, ["get", "pods", "-n", "demo"])
                let live = try bed.portcullis(["verify"])
                #expect(live.status == .exited(0), "verify while the gateway writes: \(live)")
                bed.gateway.signal(SIGTERM)
                #expect(try await bed.gateway.waitForExit(timeout: .seconds(20)) == .exited(0), "\(bed.gateway.report)")

                let intact = try bed.portcullis(["verify"])
                #expect(intact.status == .exited(0), "\(intact)")
                #expect(intact.standardOutput.contains("the record is intact"), "\(intact)")

                let (target, neighbour) = try Self.twoRequestSeqs(bed.storePath)
                let cases: [(String, String, String)] = [
                    ("edited", "UPDATE requests SET uri = '/api/v1/namespaces/kube-system' WHERE seq = \(target)", "requests seq \(target)"),
                    ("deleted", "DELETE FROM requests WHERE seq = \(target)", "deleted rows before it"),
                    ("swapped", "UPDATE requests SET seq = -1 WHERE seq = \(target); UPDATE requests SET seq = \(target) WHERE seq = \(neighbour);"
                        + " UPDATE requests SET seq = \(neighbour) WHERE seq = -1", "reordered"),
                ]
                for (name, sql, expected) in cases {
                    let copy = bed.work.path("tampered-\(name).sqlite")
                    try Self.copyStore(bed.storePath, to: copy)
                    try Self.sqlite(copy, sql)
                    let result = try HostCommand.run(try Products.gateway(), ["verify", "--store", copy])
                    #expect(result.status == .exited(1), "\(name): \(result)")
                    #expect(result.standardOutput.contains(expected), "\(name): \(result)")
                }
            }
        }

        // MARK: Failing closed

        @Test("with the store's disk full (either durability), requests get 503 and no change reaches the cluster; the refusals are recorded once it has room",
              arguments: ["process", "host"])
        func storeUnwritable(durability: String) async throws {
            try await Bed.with(storeBytes: 32 << 20, storeDurability: durability) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns", "default"])
                let disk = try #require(bed.storeDisk)
                try disk.fill()
                let changesBefore = try bed.sandbox.auditLog.events().count { !["get", "list", "watch"].contains($0.verb) }
                for arguments in [["get", "ns", "default"], ["create", "-f", "-"], ["get", "ns", "default"]] {
                    let refused = try await kubectl.run(arguments, stdin: Gateway.pod("refused-pod"))
                    #expect(refused.exitCode == 1, "\(refused)")
                    #expect(refused.standardError.contains("could not be recorded")
                            || refused.standardError.contains("the server is currently unable to handle the request"), "\(refused)")
                }
                let rejected = bed.events("request_rejected").filter { $0["code"] == 503 }
                #expect(rejected.count >= 3, "\(bed.gateway.report)")
                // A read may reach the cluster while its record is being refused (reads are forwarded
                // while they commit); its response never reaches the client, and its record is kept
                // and written once the store has room. A change never reaches it unrecorded.
                #expect(try bed.sandbox.auditLog.events().count { !["get", "list", "watch"].contains($0.verb) } == changesBefore,
                        "no unrecorded change reached the cluster")

                try disk.free()
                try await Self.eventually("the store writes again") {
                    try await kubectl.run(["get", "ns", "default"]).exitCode == 0
                }
                let refusals = try Self.export(bed).filter { $0.responseStatus?.code == 503 }
                #expect(refusals.count >= 2, "the refusals were recorded once the store was back")
                let exported = Set(try Self.export(bed).map(\.auditID))
                let reached = try bed.sandbox.auditLog.events().map(\.auditID)
                #expect(reached.allSatisfy(exported.contains), "every request the cluster saw has its record")
            }
        }

        /// A 100 ms commit window: a reply sent before its record commits would have 100 ms in which
        /// the kill loses the record.
        @Test("kill -9 of the gateway under load: every create a client saw succeed, and every change the cluster made, has its record")
        func killNineUnderLoad() async throws {
            try await Bed.with(commitDelay: "100ms") { bed in
                let workers = 3
                let kubectls = try (0..<workers).map { _ in try bed.kubectl() }
                defer { kubectls.forEach { $0.remove() } }
                try await Gateway.succeed(kubectls[0], ["create", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: load\n")
                let created = Created()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (worker, kubectl) in kubectls.enumerated() {
                        group.addTask {
                            for n in 0..<200 {
                                let name = "cm-\(worker)-\(n)"
                                let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n  namespace: load\ndata:\n  n: \"\(n)\"\n"
                                let result = try await kubectl.run(["create", "-f", "-", "--request-timeout=5s"], stdin: manifest)
                                guard result.exitCode == 0 else { return }
                                created.add(name)
                            }
                        }
                    }
                    try await Self.eventually("some load got through", timeout: .seconds(120)) { created.count >= 12 }
                    bed.gateway.kill()
                    try await group.waitForAll()
                }
                _ = try await bed.gateway.waitForExit(timeout: .seconds(10))
                let names = created.names
                #expect(names.count >= 12)
                let events = try Self.export(bed, level: "Request")
                let recorded = Set(events.filter { $0.verb == "create" && $0.responseStatus?.code == 201 }
                    .compactMap { $0.requestObject?[path: "metadata", "name"]?.stringValue })
                let missing = names.filter { !recorded.contains($0) }
                #expect(missing.isEmpty, "created, but not recorded: \(missing)")
                // Reads (kubectl's discovery) go upstream while their record commits, so the kill may
                // take a read the cluster saw but whose response no client received: only changes
                // must all be recorded.
                let exported = Set(events.map(\.auditID))
                let changed = try bed.sandbox.auditLog.events().filter { !["get", "list", "watch"].contains($0.verb) }.map(\.auditID)
                #expect(changed.allSatisfy(exported.contains), "every change the cluster made has its record")
            }
        }

        /// Reads are forwarded while they commit (one commit each), changes only once recorded. Under
        /// a mixed load (80 % GET, 20 % create) with a 50 ms commit window, kill -9 must leave both
        /// promises whole: every change the cluster made is recorded, and every response a client
        /// received is recorded.
        @Test("kill -9 under a mixed load of reads and creates: every change the cluster made and every response a client got is recorded")
        func killNineUnderMixedLoad() async throws {
            try await Bed.with(commitDelay: "50ms") { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["create", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mixed\n")
                let plugin = try Products.packageRoot() + "/Tests/clients/kubectl_oidc_plugin.py"
                let tokenCommand = "/usr/bin/python3 \(plugin) --issuer \(bed.issuerURL) --sub \(Bed.subject) --client-id \(Bed.clientID)"
                let load = try bed.agent.launch("/usr/bin/python3", [try PythonTools.clientScript("mixed_load.py"), TestHosts.clusterAddress, "6443",
                                                                     "--token-command", tokenCommand, "--ca", bed.trustedCAPath,
                                                                     "--namespace", "mixed", "--workers", "4", "--seconds", "8"],
                                                options: LaunchOptions(runAs: RunAs(uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID),
                                                                       label: "mixed load"))
                try await Self.eventually("responses flow", timeout: .seconds(60)) {
                    TextLines.lines(of: load.standardOutput).count >= 60
                }
                bed.gateway.kill()
                _ = try await bed.gateway.waitForExit(timeout: .seconds(10))
                #expect(try await load.waitForExit(timeout: .seconds(60)) == .exited(0), "\(load.report)")
                let received = try TextLines.lines(of: load.standardOutput).map { try JSONParser.parse(Array($0.utf8)) }
                    .filter { ($0["status"]?.intValue ?? 0) / 100 == 2 }
                #expect(received.contains { $0["method"]?.stringValue == "GET" } && received.contains { $0["method"]?.stringValue == "POST" })
                let events = try Self.export(bed)
                let answered = Set(events.filter { $0.stage == .responseComplete && $0.responseStatus.map { $0.code / 100 == 2 } == true }
                    .map(\.auditID))
                let missing = received.compactMap { $0["auditID"]?.stringValue }.filter { !answered.contains($0) }
                #expect(missing.isEmpty, "responses the client got, but not recorded: \(missing.prefix(5)) of \(received.count)")
                let recorded = Set(events.map(\.auditID))
                let changes = try bed.sandbox.auditLog.events().filter { $0.verb == "create" }.map(\.auditID)
                #expect(!changes.isEmpty && changes.allSatisfy(recorded.contains), "every change the cluster made has its record")
            }
        }

        // MARK: Helpers

        /// The names the load workers created, as kubectl reported them.
        final class Created: Sendable {
            private let storage = Mutex<[String]>([])
            func add(_ name: String) { storage.withLock { $0.append(name) } }
            var names: [String] { storage.withLock { $0 } }
            var count: Int { storage.withLock { $0.count } }
        }

        static func key(_ event: AuditEvent) -> String {
            "\(event.auditID) \(event.verb) \(event.requestURI) \(event.responseStatus?.code ?? 0)"
        }

        static func export(_ bed: Bed, level: String = "Metadata") throws -> [AuditEvent] {
            let result = try bed.portcullis(["export", "--format", "audit", "--level", level])
            guard result.status.isSuccess else { throw HarnessError("portcullis export failed: \(result.standardError)") }
            return try result.standardOutput.split(separator: "\n").map { try AuditEvent(jsonLine: Array($0.utf8)) }
        }

        static func json(_ result: HostCommandResult) throws -> JSONValue {
            guard result.status.isSuccess else { throw HarnessError("`\(result.command)` failed: \(result.standardError)") }
            return try JSONParser.parse(result.standardOutput)
        }

        /// The request ID of the last exec recorded.
        static func execRequestID(_ bed: Bed) throws -> String {
            let sessions = try bed.portcullis(["sessions", "--connections", "--json", "--resource", "pods/exec"])
            let session = try #require(sessions.standardOutput.split(separator: "\n").last.map { try JSONParser.parse(String($0)) }?["id"]?.stringValue,
                                       "no exec session: \(sessions)")
            let timeline = try json(try bed.portcullis(["show", session, "--json"]))
            let exec = timeline["requests"]?.arrayValue?.last { $0["subresource"] == "exec" }
            return try #require(exec?["id"]?.stringValue, "no exec request in \(timeline)")
        }

        /// The seqs of two adjacent requests rows.
        static func twoRequestSeqs(_ path: String) throws -> (Int64, Int64) {
            let result = try HostCommand.check("/usr/bin/python3", ["-c", """
                import sqlite3, sys
                rows = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT seq FROM requests ORDER BY seq")]
                print(rows[1], rows[2])
                """, path])
            let numbers = result.standardOutput.split(whereSeparator: \.isWhitespace).compactMap { Int64($0) }
            guard numbers.count == 2 else { throw HarnessError("fewer than three requests in \(path): \(result.standardOutput)") }
            return (numbers[0], numbers[1])
        }

        /// A consistent copy of the store (its WAL checkpointed into the copy), with SQLite's backup.
        static func copyStore(_ path: String, to copy: String) throws {
            try HostCommand.check("/usr/bin/python3", ["-c", """
                import sqlite3, sys
                source = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
                target = sqlite3.connect(sys.argv[2])
                source.backup(target)
                target.close()
                """, path, copy])
        }

        /// Runs `sql` on the file with Python's sqlite3: what someone with write access could do.
        static func sqlite(_ path: String, _ sql: String) throws {
            try HostCommand.check("/usr/bin/python3", ["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()",
                                                       path, sql])
        }

        static func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw HarnessError("timed out after \(timeout): \(what)")
        }
    }
}
