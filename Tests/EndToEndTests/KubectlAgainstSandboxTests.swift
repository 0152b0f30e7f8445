import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// The real kubectl 1.32, on an "agent host" namespace, against `portcullis-sandbox` on a "cluster host"
    /// namespace at 198.18.0.2:6443. Each test gets its own hosts and sandbox; traffic stays on their veth.
    ///
    /// Skipped without root, unless PORTCULLIS_REQUIRE_ROOT_TESTS=1, which turns a missing prerequisite
    /// into a failure (scripts/test.sh sets it when it runs as root).
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct KubectlAgainstSandboxTests {
        /// Container log lines every 100 ms, so `logs -f` sees several quickly.
        static let logIntervalMilliseconds = 100

        static func withTestbed<T>(_ body: (SandboxTestbed) async throws -> T) async throws -> T {
            try await SandboxTestbed.with(logIntervalMilliseconds: logIntervalMilliseconds, body)
        }

        /// Writes `contents` to a fresh file and returns its path; the directory goes with `scratch`.
        static func manifest(_ contents: String, in scratch: TemporaryDirectory, named name: String = "demo.yaml") throws -> String {
            try scratch.write(contents + "\n", to: name)
        }

        /// Runs kubectl and records an issue unless it exits 0.
        @discardableResult
        static func succeed(_ kubectl: Kubectl, _ arguments: [String], stdin: String? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws -> KubectlResult {
            let result = try await kubectl.run(arguments, stdin: stdin)
            #expect(result.exitCode == 0, "\(result)", sourceLocation: sourceLocation)
            return result
        }

        // MARK: get

        @Test("get ns lists the four built-in namespaces")
        func getNamespaces() async throws {
            try await Self.withTestbed { bed in
                let result = try await bed.kubectl.run(["get", "ns"])
                #expect(result.exitCode == 0, "\(result)")
                let rows = result.outputLines.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
                #expect(rows.first == ["NAME", "STATUS", "AGE"], "\(result)")
                let status = Dictionary(rows.dropFirst().compactMap { $0.count >= 2 ? ($0[0], $0[1]) : nil },
                                        uniquingKeysWith: { first, _ in first })
                for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                    #expect(status[name] == "Active", "\(name) missing or not Active\n\(result)")
                }

                let stopped = await bed.cluster.stop()
                #expect(stopped == .exited(0), "the sandbox should exit 0 on SIGTERM\n\(bed.cluster.process.report)")
            }
        }

        // MARK: create

        @Test("create -f creates the objects once, then fails with AlreadyExists")
        func createTwice() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                let file = try Self.manifest(Manifests.demo(), in: scratch)

                let first = try await bed.kubectl.run(["create", "-f", file])
                #expect(first.exitCode == 0, "\(first)")
                #expect(first.outputLines == Manifests.demoCreated, "\(first)")

                let second = try await bed.kubectl.run(["create", "-f", file])
                #expect(second.exitCode == 1, "\(second)")
                #expect(second.standardOutput.isEmpty, "\(second)")
                for (resource, name) in [("namespaces", "demo"), ("configmaps", "settings"), ("pods", "web-1")] {
                    let expected = "Error from server (AlreadyExists): error when creating \"\(file)\": "
                        + "\(resource) \"\(name)\" already exists"
                    #expect(second.errorLines.contains(expected), "expected: \(expected)\n\(second)")
                }
            }
        }

        // MARK: apply

        @Test("apply -f creates, then is unchanged, then configures a changed field")
        func applyCreatesThenUnchangedThenConfigured() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                let file = try Self.manifest(Manifests.demo(greeting: "hello"), in: scratch)

                let first = try await Self.succeed(bed.kubectl, ["apply", "-f", file])
                #expect(first.outputLines == Manifests.demoCreated, "\(first)")

                let second = try await Self.succeed(bed.kubectl, ["apply", "-f", file])
                #expect(second.outputLines == ["namespace/demo unchanged", "configmap/settings unchanged",
                                               "pod/web-1 unchanged"], "\(second)")

                _ = try Self.manifest(Manifests.demo(greeting: "hi"), in: scratch)
                let third = try await Self.succeed(bed.kubectl, ["apply", "-f", file])
                #expect(third.outputLines == ["namespace/demo unchanged", "configmap/settings configured",
                                              "pod/web-1 unchanged"], "\(third)")

                let value = try await Self.succeed(
                    bed.kubectl, ["get", "configmap", "settings", "-n", "demo", "-o", "jsonpath={.data.greeting}"])
                #expect(value.standardOutput == "hi", "\(value)")
            }
        }

        // MARK: watch

        @Test("get pods -w prints the existing pod, then a pod created while watching")
        func watchSeesNewPod() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                try await Self.succeed(bed.kubectl, ["create", "-f", try Self.manifest(Manifests.demo(), in: scratch)])

                let watch = try bed.kubectl.start(["get", "pods", "-n", "demo", "-w"])
                let header = try await watch.waitForLine(containing: "NAME")
                #expect(header.split(whereSeparator: \.isWhitespace) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
                let first = try await watch.waitForLine(containing: "web-1")
                #expect(first.hasPrefix("web-1 ") && first.contains("Running"), "\(first)")

                let created = try await Self.succeed(bed.kubectl, ["create", "-f", "-"], stdin: Manifests.pod("web-2"))
                #expect(created.outputLines == ["pod/web-2 created"], "\(created)")

                let second = try await watch.waitForLine(containing: "web-2")
                #expect(second.hasPrefix("web-2 ") && second.contains("Running"), "\(second)")
                #expect(watch.isRunning, "the watch ended by itself\n\(watch.report)")
                await watch.terminate()
            }
        }

        // MARK: logs

        @Test("logs -f follows the container's lines; --tail limits them")
        func logsFollow() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                try await Self.succeed(bed.kubectl, ["create", "-f", try Self.manifest(Manifests.demo(), in: scratch)])

                let follow = try bed.kubectl.start(["logs", "-f", "web-1", "-n", "demo"])
                try await follow.waitForLine(containing: "line 2 from demo/web-1/main")
                let lines = follow.snapshot.lines(in: .standardOutput)
                #expect(Array(lines.prefix(3)) == (0..<3).map { "line \($0) from demo/web-1/main" }, "\(follow.report)")
                #expect(follow.isRunning, "logs -f ended by itself\n\(follow.report)")
                await follow.terminate()

                let tail = try await Self.succeed(bed.kubectl, ["logs", "web-1", "-n", "demo", "--tail=2"])
                #expect(tail.outputLines.count == 2, "\(tail)")
                #expect(tail.outputLines.allSatisfy { $0.hasPrefix("line ") && $0.hasSuffix(" from demo/web-1/main") },
                        "\(tail)")
            }
        }

        // MARK: exec

        @Test("exec runs commands, propagates exit codes and forwards stdin")
        func exec() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                try await Self.succeed(bed.kubectl, ["create", "-f", try Self.manifest(Manifests.demo(), in: scratch)])
                let pod = ["web-1", "-n", "demo"]

                let echo = try await Self.succeed(bed.kubectl, ["exec"] + pod + ["--", "echo", "hello"])
                #expect(echo.standardOutput == "hello\n", "\(echo)")

                let script = try await Self.succeed(bed.kubectl, ["exec"] + pod + ["--", "sh", "-c", "echo a && echo b"])
                #expect(script.standardOutput == "a\nb\n", "\(script)")

                let failing = try await bed.kubectl.run(["exec"] + pod + ["--", "sh", "-c", "exit 3"])
                #expect(failing.exitCode == 3, "\(failing)")
                #expect(failing.errorLines.contains("command terminated with exit code 3"), "\(failing)")

                let piped = try await Self.succeed(bed.kubectl, ["exec", "-i"] + pod + ["--", "cat"], stdin: "piped input\n")
                #expect(piped.standardOutput == "piped input\n", "\(piped)")
            }
        }

        // MARK: delete

        @Test("delete ns removes the namespace and everything in it")
        func deleteNamespace() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                try await Self.succeed(bed.kubectl, ["create", "-f", try Self.manifest(Manifests.demo(), in: scratch)])

                let deleted = try await bed.kubectl.run(["delete", "ns", "demo"])
                #expect(deleted.exitCode == 0, "\(deleted)")
                #expect(deleted.outputLines == ["namespace \"demo\" deleted"], "\(deleted)")

                let gone = try await bed.kubectl.run(["get", "ns", "demo"])
                #expect(gone.exitCode == 1, "\(gone)")
                #expect(gone.errorLines.contains("Error from server (NotFound): namespaces \"demo\" not found"), "\(gone)")

                let pods = try await bed.kubectl.run(["get", "pods", "-n", "demo"])
                #expect(pods.exitCode == 0, "\(pods)")
                #expect(pods.standardOutput.isEmpty, "\(pods)")
                #expect(pods.errorLines.contains("No resources found in demo namespace."), "\(pods)")

                let event = try await bed.cluster.auditLog.waitForEvent {
                    $0.stage == .responseComplete && $0.verb == "delete"
                        && $0.objectRef?.resource == "namespaces" && $0.objectRef?.name == "demo"
                }
                #expect(event.user.username == "admin")
                #expect(event.responseStatus.map { (200..<300).contains($0.code) } == true, "\(AuditLog.summary(event))")
            }
        }

        // MARK: audit

        @Test("the audit log records each request with user admin, its verb and its object")
        func auditLogRecordsRequests() async throws {
            try await Self.withTestbed { bed in
                let scratch = try TemporaryDirectory.create(purpose: "manifests")
                defer { scratch.remove() }
                try await Self.succeed(bed.kubectl, ["get", "ns"])
                try await Self.succeed(bed.kubectl, ["create", "-f", try Self.manifest(Manifests.demo(), in: scratch)])
                try await Self.succeed(bed.kubectl, ["get", "pod", "web-1", "-n", "demo"])
                try await Self.succeed(bed.kubectl, ["delete", "ns", "demo"])

                let log = bed.cluster.auditLog
                // `nil` matches anything. kube-apiserver records `namespaces/demo` requests with namespace "demo".
                func completed(_ verb: String, _ resource: String, namespace: String? = nil,
                               name: String? = nil) async throws -> AuditEvent {
                    try await log.waitForEvent { event in
                        event.stage == .responseComplete && event.verb == verb && event.objectRef?.resource == resource
                            && (namespace == nil || event.objectRef?.namespace == namespace)
                            && (name == nil || event.objectRef?.name == name)
                    }
                }
                let expectations: [(event: AuditEvent, code: Int)] = [
                    (try await completed("list", "namespaces"), 200),
                    (try await completed("create", "namespaces"), 201),
                    (try await completed("create", "configmaps", namespace: "demo"), 201),
                    (try await completed("create", "pods", namespace: "demo"), 201),
                    (try await completed("get", "pods", namespace: "demo", name: "web-1"), 200),
                    (try await completed("delete", "namespaces", name: "demo"), 200),
                ]
                for (event, code) in expectations {
                    #expect(event.responseStatus?.code == code, "\(AuditLog.summary(event))")
                }

                let events = try log.events()
                #expect(events.filter { $0.stage == .responseComplete && $0.verb == "delete" }.count == 1,
                        "\(events.map(AuditLog.summary).joined(separator: "\n"))")
                for event in events {
                    let summary = AuditLog.summary(event)
                    #expect(event.user.username == "admin", "\(summary)")
                    #expect(event.impersonatedUser == nil, "\(summary)")
                    #expect(event.sourceIPs.contains(TestHosts.agentAddress), "\(summary) from \(event.sourceIPs)")
                    #expect(event.userAgent.hasPrefix("kubectl"), "\(summary): \(event.userAgent)")
                }
            }
        }
    }
}
