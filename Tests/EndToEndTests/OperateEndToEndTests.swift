import Foundation
import Synchronization
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Operating the running gateway: `portcullis status` says whether it enforces and why not, and
    /// the metrics endpoint serves Prometheus text whose counters move as requests pass.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct OperateEndToEndTests {
        typealias Bed = GatewayTestbed
        typealias Gateway = GatewayEndToEndTests
        typealias Store = StoreEndToEndTests

        static func statusOf(_ bed: Bed) throws -> (code: TestSupport.ExitStatus, json: JSONValue) {
            let result = try bed.portcullis(["status", "--json"])
            return (result.status, try JSONParser.parse(result.standardOutput))
        }

        @Test("status shows every part enforcing, with the last hour's counts; an unwritable store makes it say NO and exit 1")
        func status() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "namespaces"])
                _ = try await kubectl.run(["--token", "not-a-token", "get", "namespaces"])

                let (code, s) = try Self.statusOf(bed)
                #expect(code == .exited(0) && s["enforcing"] == true, "\(s)")
                #expect(s[path: "rules", "verified"] == true)
                #expect(s[path: "proxy", "listening"]?.arrayValue?.contains(.string("127.0.0.1:\(InterceptTestbed.proxyPort)")) == true, "\(s)")
                #expect(s[path: "guard", "attached"] == true)
                #expect(s[path: "store", "writable"] == true && (s[path: "store", "bytes"]?.intValue ?? 0) > 0)
                #expect(s[path: "store", "newest"]?.stringValue != nil)
                #expect(s["issuers"]?.arrayValue?.count == 2 && s["issuers"]?.arrayValue?.allSatisfy { ($0["keys"]?.intValue ?? 0) > 0 } == true,
                        "\(s["issuers"] ?? .null)")
                #expect((s[path: "lastHour", "allowed"]?.intValue ?? 0) >= 1 && (s[path: "lastHour", "rejected"]?.intValue ?? 0) >= 1, "\(s)")
                // Callers are named by cgroup without extra privileges; the process needs CAP_SYS_PTRACE, which the gateway lacks.
                #expect(s[path: "callers", "cgroupHierarchy"] == "/sys/fs/cgroup" && s[path: "callers", "processes"] == false, "\(s)")
                let text = try bed.portcullis(["status"])
                #expect(text.standardOutput.hasPrefix("enforcing: yes") && text.standardOutput.contains("rules:    verified"), "\(text)")
                #expect(text.standardOutput.contains("callers:  uid and cgroup (unit, container, pod) from /sys/fs/cgroup; processes not readable"),
                        "\(text)")

                // The store made read-only: requests get 503, and status says the gateway is not enforcing.
                guard chmod(bed.storePath, 0o444) == 0 else { throw HarnessError("cannot chmod \(bed.storePath)") }
                let refused = try await kubectl.run(["get", "namespaces"])
                #expect(refused.exitCode != 0, "\(refused)")
                let (broken, b) = try Self.statusOf(bed)
                #expect(broken == .exited(1) && b["enforcing"] == false && b[path: "store", "writable"] == false, "\(b)")
                #expect(b["problems"]?.arrayValue?.contains { $0.stringValue?.contains("the store cannot be written") == true } == true)
                let brokenText = try bed.portcullis(["status"])
                #expect(brokenText.standardOutput.hasPrefix("enforcing: NO") && brokenText.standardOutput.contains("NOT WRITABLE"), "\(brokenText)")
                guard chmod(bed.storePath, 0o600) == 0 else { throw HarnessError("cannot chmod \(bed.storePath)") }
                try await Store.eventually("the store writes again") {
                    _ = try await kubectl.run(["get", "namespaces"])
                    return try Self.statusOf(bed).json["enforcing"] == true
                }
            }
        }

        @Test("the metrics endpoint serves valid Prometheus text on loopback, and its counters move as requests pass")
        func metrics() async throws {
            let policy = "defaultEffect: allow\nrules:\n  - id: no-secrets\n    effect: deny\n    resources: [secrets]\n"
            try await Bed.with(policy: policy) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "namespaces"])
                let before = try bed.scrapeMetrics()
                #expect(before["contentType"]?.stringValue?.hasPrefix("text/plain") == true)
                let families = before["families"]?.objectValue ?? [:]
                for (name, type) in [("portcullis_requests_total", "counter"), ("portcullis_request_duration_seconds", "histogram"),
                                     ("portcullis_connections_active", "gauge"), ("portcullis_store_commit_duration_seconds", "histogram"),
                                     ("portcullis_store_queue_depth", "gauge"), ("portcullis_guard_attached", "gauge"),
                                     ("portcullis_jwks_refreshes_total", "counter"), ("portcullis_jwks_keys", "gauge")] {
                    // prometheus_client names a counter family without its _total suffix.
                    let family = type == "counter" ? String(name.dropLast("_total".count)) : name
                    #expect(families[family]?.stringValue == type, "\(family) should be a \(type): \(families)")
                }
                let listed = Self.value(before, "portcullis_requests_total", ["verb": "list", "outcome": "allowed", "cluster": "sandbox"])
                #expect(listed >= 1)

                try await Gateway.succeed(kubectl, ["get", "namespaces"])
                _ = try await kubectl.run(["get", "secrets", "-n", "default"])
                let after = try bed.scrapeMetrics()
                #expect(Self.value(after, "portcullis_requests_total", ["verb": "list", "outcome": "allowed", "cluster": "sandbox"]) == listed + 1)
                #expect(Self.value(after, "portcullis_requests_total", ["verb": "list", "outcome": "denied", "cluster": "sandbox"]) == 1)
                #expect(Self.value(after, "portcullis_request_duration_seconds_count", ["verb": "list"]) >= listed + 2)
                #expect(Self.value(after, "portcullis_store_commit_duration_seconds_count", [:]) > Self.value(before, "portcullis_store_commit_duration_seconds_count", [:]))
                #expect(Self.value(after, "portcullis_guard_attached", [:]) == 1)
            }
        }

        /// The sample `name` whose labels include `labels`; 0 when there is none.
        static func value(_ scrape: JSONValue, _ name: String, _ labels: [String: String]) -> Double {
            for sample in scrape["samples"]?.arrayValue ?? [] where sample["name"]?.stringValue == name {
                let have = sample["labels"]?.objectValue ?? [:]
                if labels.allSatisfy({ have[$0.key]?.stringValue == $0.value }) {
                    switch sample["value"] {
                    case .double(let d)?: return d
                    case .int(let i)?: return Double(i)
                    default: return 0
                    }
                }
            }
            return 0
        }
    }
}

extension EndToEnd.OperateEndToEndTests {
    @Test("the systemd unit verifies cleanly; a broken one does not")
    func unitVerifies() throws {
        let work = try TemporaryDirectory.create(purpose: "unit")
        defer { work.remove() }
        let unit = try String(contentsOfFile: try Products.packageRoot() + "/scripts/systemd/portcullis.service", encoding: .utf8)
            .replacing("/usr/local/bin/portcullis", with: try Products.gateway())
        for (name, text, clean) in [("portcullis.service", unit, true),
                                    ("broken.service", unit.replacing("Type=notify", with: "Type=notified"), false)] {
            let path = try work.write(text, to: name)
            let result = try HostCommand.run("/usr/bin/systemd-analyze", ["verify", "--man=no", path])
            let complaints = result.standardError.split(separator: "\n").filter { $0.contains(name) }
            #expect(complaints.isEmpty == clean, "\(name): \(result)")
        }
        #expect(unit.contains("Type=notify") && unit.contains("AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW")
                && unit.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW") && unit.contains("NoNewPrivileges=yes")
                && unit.contains("ProtectSystem=strict") && unit.contains("Restart=always") && unit.contains("User=portcullis"))
    }

    @Test("run as the unit runs it, the gateway tells systemd READY=1 only once the guard, the proxy and the rules are up")
    func notifiesReady() async throws {
        let work = try TemporaryDirectory.create(purpose: "notify")
        defer { work.remove() }
        guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path)") }
        let socket = work.path("notify.sock")
        let listener = try ChildProcess.launch("/usr/bin/python3", ["-u", "-c", """
            import os, socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777)
            print("listening", flush=True)
            while True:
                print(s.recv(4096).decode().replace("\\n", " | "), flush=True)
            """, socket], options: LaunchOptions(label: "notify socket"))
        defer { listener.kill() }
        _ = try await listener.waitForLine(containing: "listening")
        try await GatewayTestbed.with(gatewayEnvironment: ["NOTIFY_SOCKET": socket]) { bed in
            let ready = try await listener.waitForLine(containing: "READY=1", timeout: .seconds(30))
            #expect(ready.contains("STATUS=enforcing"), "\(ready)")
            let status = try bed.portcullis(["status", "--json"])
            #expect(status.status.isSuccess, "enforcing once READY was sent: \(status)")
            _ = await bed.gateway.terminate()
            _ = try await listener.waitForLine(containing: "STOPPING=1", timeout: .seconds(30))
        }
    }
}

extension EndToEnd.OperateEndToEndTests {
    @Test("a restart under load adopts the rules in place, lets no request through unrecorded, and refuses new connections for under 2 s")
    func restartUnderLoad() async throws {
        try await GatewayTestbed.with { bed in
            let kubectls = try (0..<2).map { _ in try bed.kubectl() }
            defer { kubectls.forEach { $0.remove() } }
            try await Gateway.succeed(kubectls[0], ["create", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: load\n")
            let stop = bed.work.path("stop-probe")
            let probe = try bed.agent.launch("/usr/bin/python3", [try PythonTools.clientScript("connect_probe.py"), TestHosts.clusterAddress,
                                                                  "6443", "--until-file", stop],
                                             options: LaunchOptions(runAs: RunAs(uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID),
                                                                    label: "connect probe"))
            defer { probe.kill() }
            _ = try await probe.waitForLine(containing: "probing")
            let created = Store.Created()
            let restarted = RestartFlag()
            var next: ChildProcess?
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (worker, kubectl) in kubectls.enumerated() {
                    group.addTask {
                        var n = 0
                        // Until well after the restart: some requests before, some refused, some after.
                        while !restarted.done || n < 10 {
                            let name = "cm-\(worker)-\(n)"
                            n += 1
                            let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \(name)\n  namespace: load\n"
                            let result = try await kubectl.run(["create", "-f", "-", "--request-timeout=5s"], stdin: manifest)
                            if result.exitCode == 0 { created.add(name) }
                            if restarted.done, created.count >= restarted.countAtRestart + 4 { return }
                        }
                    }
                }
                try await Store.eventually("some load got through before the restart") { created.count >= 4 }
                next = try await bed.restartGateway()
                restarted.mark(created.count)
                try await group.waitForAll()
            }
            defer { next?.kill() }
            try "".write(toFile: stop, atomically: true, encoding: .utf8)
            #expect(try await probe.waitForExit(timeout: .seconds(10)) == .exited(0))
            let measured = try JSONParser.parse(probe.standardOutput.split(separator: "\n").last.map(String.init) ?? "")
            let window = measured["longestRefusedSeconds"].flatMap { value -> Double? in
                if case .double(let d) = value { return d }
                return value.intValue.map(Double.init)
            } ?? 99
            print("restart: new connections refused for \(window) s at most (\(measured))")
            #expect(window < 2, "the refused window during a restart: \(measured)")
            #expect((measured["refused"]?.intValue ?? 0) > 0, "the probe saw the restart: \(measured)")
            let log = next?.standardError ?? ""
            #expect(log.contains("rules already in place: adopted"), "\(log)")

            let events = try Store.export(bed, level: "Request")
            let recorded = Set(events.filter { $0.verb == "create" && $0.responseStatus?.code == 201 }
                .compactMap { $0.requestObject?[path: "metadata", "name"]?.stringValue })
            #expect(created.names.allSatisfy(recorded.contains), "created but not recorded: \(created.names.filter { !recorded.contains($0) })")
            let exported = Set(events.map(\.auditID))
            #expect(try bed.sandbox.auditLog.events().map(\.auditID).allSatisfy(exported.contains), "every request the cluster saw has its record")
        }
    }
}

/// Set once the gateway was restarted, with how many creates had succeeded by then.
final class RestartFlag: Sendable {
    private let state = Mutex<(done: Bool, count: Int)>((false, 0))
    func mark(_ count: Int) { state.withLock { $0 = (true, count) } }
    var done: Bool { state.withLock { $0.done } }
    var countAtRestart: Int { state.withLock { $0.count } }
}

extension EndToEnd.OperateEndToEndTests {
    @Test("status names an issuer whose keys cannot load (its tokens are refused) and exits 1")
    func statusIssuerWithoutKeys() async throws {
        // Nothing listens on port 9 of the agent host's loopback.
        try await GatewayTestbed.with(extraIssuers: ["http://127.0.0.1:9"]) { bed in
            let (code, s) = try Self.statusOf(bed)
            #expect(code == .exited(1) && s["enforcing"] == false, "\(s)")
            let problems = s["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(problems.contains { $0.hasPrefix("no signing keys for http://127.0.0.1:9") }, "\(problems)")
            let issuer = s["issuers"]?.arrayValue?.first { $0["issuer"] == "http://127.0.0.1:9" }
            #expect(issuer?["keys"] == 0 && issuer?["lastError"]?.stringValue?.isEmpty == false, "\(String(describing: issuer))")
            let text = try bed.portcullis(["status"])
            #expect(text.standardOutput.contains("problem: no signing keys for http://127.0.0.1:9"), "\(text)")
        }
    }
}

extension EndToEnd.OperateEndToEndTests {
    @Test("status reports drifted rules, naming the drift, and exits 1 (with the tamper watch slowed so the drift stays)")
    func statusDriftedRules() async throws {
        try await GatewayTestbed.with(tamperInterval: "1h") { bed in
            let flushed = try bed.agent.run("/usr/sbin/iptables", ["-t", "mangle", "-F", "PORTCULLIS_POSTROUTING"])
            #expect(flushed.status.isSuccess, "\(flushed)")
            let (code, s) = try Self.statusOf(bed)
            #expect(code == .exited(1) && s["enforcing"] == false && s[path: "rules", "verified"] == false, "\(s)")
            let drift = s[path: "rules", "drift"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(drift.contains { $0.contains("PORTCULLIS_POSTROUTING") }, "\(drift)")
            let text = try bed.portcullis(["status"])
            #expect(text.standardOutput.contains("rules:    DRIFTED") && text.standardOutput.contains("problem: the rules drifted"), "\(text)")
        }
    }
}
