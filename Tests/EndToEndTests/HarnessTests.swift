import Foundation
import Synchronization
import Kube
import Testing
import TestSupport

/// Tests of the harness's bookkeeping. They need no root and run anywhere.
@Suite struct HarnessTests {
    @Test func cleanupRunsNewestFirstAndOnlyOnce() {
        let registry = CleanupRegistry()
        let log = LockedLog()
        let first = registry.register("first") { log.append("first") }
        _ = registry.register("second") { log.append("second") }
        _ = registry.register("third") { log.append("third") }
        registry.runNow(first)
        registry.runNow(first)
        #expect(registry.pendingLabels == ["second", "third"])
        #expect(registry.runAll() == ["third", "second"])
        #expect(registry.runAll().isEmpty)
        #expect(log.entries == ["first", "third", "second"])
    }

    @Test func discardedCleanupNeverRuns() {
        let registry = CleanupRegistry()
        let log = LockedLog()
        let token = registry.register("gone") { log.append("gone") }
        registry.discard(token)
        registry.runAll()
        #expect(log.entries.isEmpty)
    }

    @Test func finishedProcessesLeaveTheSharedRegistry() async throws {
        let child = try ChildProcess.launch("/bin/true", options: LaunchOptions(label: "registry-probe-true"))
        #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
        #expect(!CleanupRegistry.shared.pendingLabels.contains { $0.contains("registry-probe-true") })
    }

    @Test func namespaceNamesRoundTripAndCarryTheirOwner() throws {
        let name = try NamespaceName.next(role: "agent")
        #expect(name.ownerPID == getpid())
        #expect(NamespaceName(parsing: name.description) == name)
        #expect(NamespaceName(parsing: "pcl-123-4-cluster") == NamespaceName(ownerPID: 123, counter: 4, role: "cluster"))
        for foreign in ["cni-1234", "pcl-abc-1-agent", "pcl-12-x-agent", "pcl-12-1-", "pcl-12-1-Agent"] {
            #expect(NamespaceName(parsing: foreign) == nil, "\(foreign)")
        }
        #expect(throws: HarnessError.self) { try NamespaceName.next(role: "bad role") }
    }

    @Test func temporaryDirectoriesAreCreatedAndRemoved() throws {
        let directory = try TemporaryDirectory.create(purpose: "probe")
        #expect(URL(fileURLWithPath: directory.path).lastPathComponent.hasPrefix("pcl-\(getpid())-probe-"))
        let file = try directory.write("hello", to: "greeting.txt")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "hello")
        directory.remove()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        directory.remove()
    }

    @Test func textLinesKeepOnlyCompleteLinesWhileWriting() {
        #expect(TextLines.lines(of: Array("a\nb\r\nhalf".utf8), includeUnterminated: false) == ["a", "b"])
        #expect(TextLines.lines(of: Array("a\nb\r\nhalf".utf8), includeUnterminated: true) == ["a", "b", "half"])
        #expect(TextLines.lines(of: "x\n\ny\n") == ["x", "", "y"])
        #expect(TextLines.lines(of: "").isEmpty)
    }

    @Test func packageRootHoldsPackageSwift() throws {
        let root = try Products.packageRoot()
        #expect(FileManager.default.fileExists(atPath: root + "/Package.swift"))
        #expect(FileManager.default.fileExists(atPath: root + "/Sources/TestSupport"))
    }

    @Test func missingProductsNameTheBuildCommand() {
        let error = #expect(throws: HarnessError.self) { try Products.executable("no-such-product") }
        #expect(error?.message.contains("swift build --build-tests") == true)
    }

    @Test func auditLogReaderParsesSandboxLines() async throws {
        let directory = try TemporaryDirectory.create(purpose: "audit")
        defer { directory.remove() }
        let event = AuditEvent(
            level: .metadata, auditID: "a1", stage: .responseComplete,
            requestURI: "/api/v1/namespaces/demo", verb: "delete",
            user: UserInfo(username: "admin", uid: "uid-admin", groups: ["system:masters"]),
            sourceIPs: ["198.18.0.1"], userAgent: "kubectl.1.32/v1.32.4",
            objectRef: ObjectReference(resource: "namespaces", name: "demo", apiVersion: "v1"),
            responseStatus: Status(status: nil, code: 200),
            requestReceivedTimestamp: KubeTime(rfc3339: "2025-01-01T00:00:00.000000Z")!,
            stageTimestamp: KubeTime(rfc3339: "2025-01-01T00:00:00.100000Z")!)
        // The last line has no newline yet: a reader must not trip over an event being written.
        let path = try directory.write(event.jsonString + "\n" + event.jsonString + "\n{\"kind\":\"Ev", to: "audit.log")
        let log = AuditLog(path: path)
        let events = try log.events()
        #expect(events.count == 2)
        #expect(events.first == event)
        let found = try await log.waitForEvent(timeout: .seconds(1)) { $0.verb == "delete" && $0.objectRef?.name == "demo" }
        #expect(found.user.username == "admin")
        await #expect(throws: HarnessError.self) {
            try await log.waitForEvent(timeout: .milliseconds(200)) { $0.verb == "create" }
        }
    }

    @Test func hostCommandsReportStatusAndOutput() throws {
        let result = try HostCommand.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 4"])
        #expect(result.status == .exited(4))
        #expect(result.standardOutput == "out\n")
        #expect(result.standardError == "err\n")
        let error = #expect(throws: HarnessError.self) { try HostCommand.check("/bin/sh", ["-c", "echo nope >&2; exit 1"]) }
        #expect(error?.message.contains("nope") == true)
        #expect(throws: HarnessError.self) { try HostCommand.run("/nonexistent/tool", []) }
        #expect(throws: HarnessError.self) { try HostCommand.run("/bin/sleep", ["10"], timeout: .milliseconds(200)) }
    }

    @Test func fleetAddressesLeaveTheSharedOnesAlone() {
        #expect(FleetHosts.agentAddress(0) == TestHosts.agentAddress)
        #expect((1..<5).map(FleetHosts.agentAddress) == ["198.18.0.11", "198.18.0.12", "198.18.0.13", "198.18.0.14"])
        let fixed = [FleetHosts.clusterAddress, FleetHosts.centralAddress, FleetHosts.reviewerAddress, InterceptTestbed.secondV4]
        let agents = (0..<FleetHosts.maximumAgents).map(FleetHosts.agentAddress)
        #expect(Set(agents).count == agents.count && Set(agents).isDisjoint(with: fixed))
        #expect(agents.last == "198.18.0.249")
        #expect(FleetTestbed.hostName(0) == "runner-a" && FleetTestbed.hostName(25) == "runner-z" && FleetTestbed.hostName(26) == "runner-26")
    }

    /// Over TCP, TLS only; the Unix socket (mode 0700 directory: root and postgres) takes SCRAM passwords.
    @Test func postgresAcceptsTLSOnly() {
        let rules = TextLines.lines(of: PostgresServerConfiguration.hostBasedAuthentication)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { $0.split(separator: " ").joined(separator: " ") }
        // Over the network TLS only; the Unix socket (in the cluster's own directory) takes SCRAM
        // logins for in-process tests since bbf567e.
        #expect(rules == ["local all all scram-sha-256",
                          "hostssl all +portcullis_cert_login 0.0.0.0/0 cert",
                          "hostssl all all 0.0.0.0/0 scram-sha-256",
                          "host all all all reject"])
        let settings = PostgresServerConfiguration.settings(address: "198.18.0.4", port: 5432, socketDirectory: "/tmp/it's",
                                                            certificate: "/c", key: "/k", caCertificate: "/ca")
        #expect(settings.contains("listen_addresses = '198.18.0.4'\n") && settings.contains("ssl = on\n"))
        #expect(settings.contains("unix_socket_directories = '/tmp/it''s'\n"), "quotes are doubled: \(settings)")
    }

    @Test func sandboxReadyLineIsParsed() {
        let parsed = SandboxCluster.parseReadyLine(
            "portcullis-sandbox: ready https://198.18.0.2:6443 kubeconfig=/tmp/x/data/kubeconfig")
        #expect(parsed.url == "https://198.18.0.2:6443")
        #expect(parsed.kubeconfig == "/tmp/x/data/kubeconfig")
        #expect(SandboxCluster.parseReadyLine("portcullis-sandbox: starting").url == nil)
    }
}

/// A thread-safe list of strings for observing cleanup order.
final class LockedLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ entry: String) { storage.withLock { $0.append(entry) } }
    var entries: [String] { storage.withLock { $0 } }
}
