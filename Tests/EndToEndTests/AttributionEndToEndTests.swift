import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Who did it, without extra privileges: the gateway runs as its own uid with only CAP_NET_ADMIN
    /// and CAP_NET_RAW, and names each connection's cgroup (sock_diag's cgroup id, resolved in the
    /// cgroup v2 hierarchy) with the unit, container and runtime its path names; kubectl runs in
    /// cgroups the test makes, named as Docker, containerd and systemd name theirs.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct AttributionEndToEndTests {
        typealias Bed = GatewayTestbed
        typealias Gateway = GatewayEndToEndTests

        static let containerID = String(repeating: "5e1f0c2d", count: 8)
        static let podUID = "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11"

        static func jsonLines(_ result: HostCommandResult) throws -> [JSONValue] {
            #expect(result.status.isSuccess, "\(result)")
            return try TextLines.lines(of: result.standardOutput).filter { !$0.isEmpty }.map { try JSONParser.parse($0) }
        }

        /// The connections `sessions --connections --json` lists from `cgroup`.
        static func connections(_ bed: Bed, in cgroup: TestCgroup) throws -> [JSONValue] {
            try jsonLines(try bed.portcullis(["sessions", "--connections", "--json"])).filter { $0[path: "caller", "cgroup"]?.stringValue == cgroup.path }
        }

        static let containerCases: [(String, String)] = [
            ("docker", "system.slice/docker-\(containerID).scope"),
            ("containerd", "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(podUID.replacing("-", with: "_")).slice/"
                + "cri-containerd-\(containerID).scope"),
        ]

        @Test("kubectl in a Docker-named and a containerd-named cgroup is recorded with that container; ss shows the same cgroup",
              arguments: containerCases)
        func containers(runtime: String, relative: String) async throws {
            try await Bed.with { bed in
                let cgroup = try TestCgroup.create(relative)
                defer { cgroup.remove() }
                var kubectl = try bed.kubectl()
                kubectl.cgroup = cgroup.directory
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns"])
                // While a watch holds its connection open, ss (in the agent host's network namespace,
                // with the test's view of the hierarchy) names the same cgroup for kubectl's socket.
                let watch = try kubectl.start(["get", "ns", "-w"])
                defer { watch.kill() }
                _ = try await watch.waitForLine(containing: "NAME", timeout: .seconds(30))
                let ss = try HostCommand.run("/usr/bin/nsenter", ["--net=/run/netns/\(bed.agent.name)", "ss", "-tne", "--cgroup", "state", "established"])
                #expect(ss.standardOutput.contains("cgroup:\(cgroup.path)"), "ss -tne --cgroup:\n\(ss.standardOutput)")
                await watch.terminate()

                let recorded = try Self.connections(bed, in: cgroup)
                #expect(recorded.count >= 2, "\(recorded)")
                for connection in recorded {
                    #expect(connection[path: "caller", "uid"] == .int(Int64(InterceptTestbed.agentUID)))
                    #expect(connection[path: "caller", "containerID"]?.stringValue == Self.containerID)
                    #expect(connection[path: "caller", "containerRuntime"]?.stringValue == runtime)
                    #expect(connection[path: "caller", "cgroupID"] != nil)
                    // The gateway may not read another uid's /proc: no process, and no extra privilege.
                    #expect(connection[path: "caller", "pid"] == nil)
                }
                if runtime == "containerd" { #expect(recorded.first?[path: "caller", "podUID"]?.stringValue == Self.podUID) }
                let runs = try Self.jsonLines(try bed.portcullis(["sessions", "--json", "--container", "\(runtime):\(Self.containerID.prefix(12))"]))
                    .filter { $0["kind"] == "run" }
                #expect(runs.count == 1, "\(runs)")
                let table = try bed.portcullis(["sessions"])
                #expect(table.standardOutput.contains("\(runtime):\(Self.containerID.prefix(12)) uid \(InterceptTestbed.agentUID)"), "\(table)")
                let shown = try bed.portcullis(["show", try #require(runs.first?["id"]?.stringValue)])
                #expect(shown.standardOutput.contains("container    \(runtime) \(Self.containerID)"), "\(shown)")
            }
        }

        @Test("kubectl under a systemd service's cgroup is recorded with the unit; a failed TLS handshake names its uid and cgroup")
        func unitAndFailedHandshake() async throws {
            try await Bed.with { bed in
                let service = try TestCgroup.create("system.slice/actions-runner.service")
                defer { service.remove() }
                var kubectl = try bed.kubectl()
                kubectl.cgroup = service.directory
                defer { kubectl.remove() }
                try await Gateway.succeed(kubectl, ["get", "ns"])
                let runs = try Self.jsonLines(try bed.portcullis(["sessions", "--json", "--unit", "actions-runner.service"]))
                    .filter { $0["kind"] == "run" }
                #expect(runs.count == 1 && runs.first?[path: "caller", "unit"] == "actions-runner.service", "\(runs)")
                #expect(runs.first?[path: "caller", "cgroup"]?.stringValue == service.path)

                // Plain text to the API port: the gateway's TLS handshake fails; the connection was
                // attributed at accept, before it.
                let plain = try TestCgroup.create("system.slice/plain-client.service")
                defer { plain.remove() }
                let client = try ChildProcess.launch("/usr/bin/python3", ["-c", """
                    import socket
                    s = socket.create_connection(("\(TestHosts.clusterAddress)", 6443), timeout=10)
                    s.sendall(b"GET /api HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                    try:
                        while s.recv(4096):
                            pass
                    except OSError:
                        pass
                    """], options: LaunchOptions(namespace: bed.agent.name, runAs: RunAs(uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID),
                                                 label: "plain-text client", cgroup: plain.directory))
                #expect(try await client.waitForExit() == .exited(0), "\(client.report)")
                var failed: JSONValue?
                try await StoreEndToEndTests.eventually("the failed handshake's end is recorded") {
                    failed = try Self.connections(bed, in: plain).first { $0["reason"]?.stringValue?.contains("TLS handshake") == true }
                    return failed != nil
                }
                #expect(failed?[path: "caller", "uid"] == .int(Int64(InterceptTestbed.agentUID)))
                #expect(failed?[path: "caller", "unit"] == "plain-client.service")
                #expect(failed?["requests"] == 0)
                let listed = try bed.portcullis(["sessions", "--unit", "plain-client.service"])
                #expect(listed.standardOutput.contains("plain-client.service uid \(InterceptTestbed.agentUID)")
                        && listed.standardOutput.contains("TLS handshake failed"), "\(listed)")
            }
        }

        // MARK: Runs

        static func mint(_ bed: Bed, subject: String, _ extra: [String: JSONValue] = [:]) async throws -> String {
            var overrides: [String: JSONValue] = ["sub": .string(subject)]
            for (key, value) in extra { overrides[key] = value }
            return try #require(try await bed.mint([["key": "rsa-1", "alg": "RS256", "claims": Gateway.claims(bed, overrides)]]).first)
        }

        @Test("runs: two agents with two tokens, interleaved, make two runs; a GitHub Actions token names its run; one apply of three objects is one command")
        func runs() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let first = try await Self.mint(bed, subject: "agent-a")
                let second = try await Self.mint(bed, subject: "agent-b")
                try await Gateway.succeed(kubectl, ["--token", first, "get", "ns"])
                try await Gateway.succeed(kubectl, ["--token", second, "get", "ns"])
                try await Gateway.succeed(kubectl, ["--token", first, "get", "pods", "-n", "default"])
                try await Gateway.succeed(kubectl, ["--token", second, "get", "pods", "-n", "default"])
                let runs = try Self.jsonLines(try bed.portcullis(["sessions", "--json"])).filter { $0["kind"] == "run" }
                #expect(runs.compactMap { $0[path: "user", "username"]?.stringValue } == ["minted:agent-a", "minted:agent-b"], "\(runs)")
                #expect(Set(runs.compactMap { $0["tokenFingerprint"]?.stringValue }).count == 2)
                #expect(runs.allSatisfy { ($0["requests"]?.intValue ?? 0) >= 2 && $0["outcomes"]?["allowed"] == $0["requests"] }, "\(runs)")

                let job: [String: JSONValue] = ["repository": "acme/app", "run_id": "4242",
                                                "job_workflow_ref": "acme/app/.github/workflows/agent.yml@refs/heads/main", "actor": "octocat"]
                let ci = try await Self.mint(bed, subject: "repo:acme/app:ref:refs/heads/main", job)
                try await Gateway.succeed(kubectl, ["--token", ci, "apply", "-f", "-"], stdin: Manifests.demo())
                let named = try Self.jsonLines(try bed.portcullis(["sessions", "--json", "--claim", "run_id=4242"]))
                #expect(named.count == 1, "\(named)")
                let claims = try #require(named.first?["claims"])
                #expect(claims == .object(["repository": "acme/app", "run_id": "4242",
                                           "job_workflow_ref": "acme/app/.github/workflows/agent.yml@refs/heads/main"]), "\(claims)")
                let table = try bed.portcullis(["sessions", "--claim", "repository=acme/app"])
                #expect(table.standardOutput.contains("repository=acme/app run_id=4242"), "\(table)")

                let id = try #require(named.first?["id"]?.stringValue)
                let shown = try Self.jsonLines(try bed.portcullis(["show", id, "--json"])).first
                let applies = shown?["commands"]?.arrayValue?.filter { $0["command"]?.stringValue?.hasPrefix("kubectl apply") == true } ?? []
                #expect(applies.count == 1, "\(String(describing: shown))")
                #expect(applies.first?["command"] == "kubectl apply namespace demo, configmap settings -n demo, pod web-1 -n demo")
                #expect((applies.first?["requests"]?.arrayValue?.count ?? 0) > 3, "the discovery and reads fold in too")
                let text = try bed.portcullis(["show", id])
                #expect(text.standardOutput.components(separatedBy: "kubectl apply").count == 2, "\(text)")
                #expect(text.standardOutput.contains("client       kubectl.1.32/v1.32"), "\(text)")
                #expect(text.standardOutput.contains("changes      3 created"), "\(text)")
                let expanded = try bed.portcullis(["show", id, "--requests"])
                #expect(expanded.standardOutput.contains("create configmap settings in demo"), "\(expanded)")
            }
        }

        @Test("one agent after an idle gap longer than store.runIdle makes two runs")
        func idleGap() async throws {
            try await Bed.with(storeOptions: ["runIdle": "3s"]) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let token = try await Self.mint(bed, subject: "agent-idle")
                try await Gateway.succeed(kubectl, ["--token", token, "get", "ns"])
                // Nothing to wait for but time itself: the run must go idle for longer than runIdle.
                try await Task.sleep(for: .seconds(4))
                try await Gateway.succeed(kubectl, ["--token", token, "get", "ns"])
                let runs = try Self.jsonLines(try bed.portcullis(["sessions", "--json"])).filter { $0["kind"] == "run" }
                #expect(runs.count == 2, "\(runs)")
                #expect(Set(runs.compactMap { $0["tokenFingerprint"]?.stringValue }).count == 1)
            }
        }

        static let denyNamespaceDeletes = """
            defaultEffect: allow
            rules:
              - id: no-namespace-deletes
                effect: deny
                verbs: [delete, deletecollection]
                resources: [namespaces]
                reason: namespaces are never deleted through the gateway
            """

        @Test("show RUN --changes: the created deployment, its replicas 1 → 3, the deleted pod's last state; the denied delete apart")
        func changes() async throws {
            try await Bed.with(policy: Self.denyNamespaceDeletes) { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let setup = try await Self.mint(bed, subject: "setup")
                try await Gateway.succeed(kubectl, ["--token", setup, "apply", "-f", "-"], stdin: Gateway.manifest)
                let agent = try await Self.mint(bed, subject: "agent-changes")
                try await Gateway.succeed(kubectl, ["--token", agent, "create", "deployment", "api", "--image=nginx", "--replicas=1", "-n", "demo"])
                try await Gateway.succeed(kubectl, ["--token", agent, "patch", "deployment", "api", "-n", "demo", "-p", #"{"spec":{"replicas":3}}"#])
                try await Gateway.succeed(kubectl, ["--token", agent, "delete", "pod", "web-1", "-n", "demo"])
                let denied = try await kubectl.run(["--token", agent, "delete", "namespace", "demo"])
                #expect(denied.exitCode == 1 && denied.standardError.contains("never deleted"), "\(denied)")

                let run = try #require(try Self.jsonLines(try bed.portcullis(["sessions", "--json", "--identity", "minted:agent-changes"])).first)
                let id = try #require(run["id"]?.stringValue)
                let changes = try #require(try Self.jsonLines(try bed.portcullis(["show", id, "--changes", "--json"])).first)
                let made = changes["changes"]?.arrayValue ?? []
                #expect(made.map { "\($0["action"]?.stringValue ?? "") \($0["resource"]?.stringValue ?? "") \($0["name"]?.stringValue ?? "")" }
                        == ["created deployments api", "patched deployments api", "deleted pods web-1"], "\(changes)")
                #expect(made.first?[path: "object", "spec", "replicas"] == 1)
                #expect(made.dropFirst().first?["fields"] == .array([.object(["path": "spec.replicas", "before": 1, "after": 3])]), "\(changes)")
                #expect(made.last?[path: "object", "spec", "containers"]?.arrayValue?.first?["image"] == "nginx", "\(changes)")
                #expect(made.last?["earlierState"] != nil)
                let notMade = changes["notMade"]?.arrayValue ?? []
                #expect(notMade.count == 1 && notMade.first?["resource"] == "namespaces" && notMade.first?["outcome"] == "denied", "\(changes)")
                let text = try bed.portcullis(["show", id, "--changes"])
                #expect(text.standardOutput.contains("spec.replicas: 1 → 3"), "\(text)")
                #expect(text.standardOutput.contains("patched deployment api -n demo"), "\(text)")
                let header = try bed.portcullis(["show", id])
                #expect(header.standardOutput.contains("changes      1 created, 1 patched, 1 deleted; 1 denied"), "\(header)")
                let export = try bed.portcullis(["export", "--format", "audit"])
                let events = TextLines.lines(of: export.standardOutput).compactMap { try? JSONParser.parse($0) }
                #expect(events.contains { $0[path: "annotations", "portcullis.io/run"]?.stringValue == id
                    && $0[path: "annotations", "portcullis.io/caller-uid"] == .string(String(InterceptTestbed.agentUID)) }, "\(export)")
            }
        }

        @Test("tail, as a member of the admin group, sees a request within 1 s of its commit; its --json lines parse")
        func tail() async throws {
            try await Bed.with { bed in
                let kubectl = try bed.kubectl()
                defer { kubectl.remove() }
                let since = KubeTime(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000) - 2_000_000).rfc3339
                let tail = try ChildProcess.launch(try Products.gateway(), ["tail", "--json", "--config", bed.configPath, "--since", since],
                                                   options: LaunchOptions(runAs: RunAs(uid: 64_993, gid: Bed.adminGID), label: "portcullis tail"))
                defer { tail.kill() }
                try await Gateway.succeed(kubectl, ["get", "pods", "-n", "default"])
                let line = try await tail.waitForLine(containing: #""intent":"list pods in default""#, timeout: .seconds(10))
                let seenAt = Int64(Date().timeIntervalSince1970 * 1_000_000)
                let entry = try JSONParser.parse(line)
                let received = try #require(entry["time"]?.stringValue.flatMap(KubeTime.init(rfc3339:)))
                // Its commit came after its receipt: from receipt to the line is an upper bound.
                #expect(seenAt - received.microseconds < 1_000_000, "seen \(Double(seenAt - received.microseconds) / 1e6) s after its receipt")
                #expect(entry["decision"] == "allow" && entry["status"] == 200 && entry["run"]?.stringValue?.hasPrefix("run") == true, "\(entry)")
                #expect(tail.isRunning, "\(tail.report)")
                await tail.terminate()
                let lines = TextLines.lines(of: tail.standardOutput).filter { !$0.isEmpty }
                #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONParser.parse($0))?["decision"] != nil }, "\(tail.standardOutput)")
            }
        }
    }
}
