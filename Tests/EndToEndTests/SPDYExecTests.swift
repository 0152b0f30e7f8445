import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// exec and attach over SPDY/3.1 with the real kubectl: 1.27 to 1.29, which know no other transport,
    /// and 1.32 told to skip WebSocket (`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`). kubectl on the agent
    /// host, the sandbox on the cluster host, as in KubectlAgainstSandboxTests.
    ///
    /// Each test also reads the audit log: an exec or attach over SPDY is a `POST` (verb `create`) answered
    /// with 101, where WebSocket would be a `GET` (verb `get`); so a kubectl that did not use SPDY fails it.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct SPDYExecTests {
        static let logIntervalMilliseconds = 100
        static let pod = ["web-1", "-n", "demo"]
        static let forceSPDY = ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"]

        /// A testbed with the demo pod, and a kubectl `minor` (with `environment`) on the agent host.
        static func withPod<T>(kubectlMinor minor: Int, environment: [String: String] = [:],
                               _ body: (SandboxTestbed, Kubectl) async throws -> T) async throws -> T {
            try await SandboxTestbed.with(logIntervalMilliseconds: logIntervalMilliseconds, kubectlBinary: Kubectl.binary(minor: minor)) { bed in
                let created = try await bed.kubectl.run(["create", "-f", "-"], stdin: Manifests.demo())
                #expect(created.exitCode == 0, "\(created)")
                let kubectl = try Kubectl(binary: Kubectl.binary(minor: minor), kubeconfig: bed.cluster.kubeconfigPath,
                                          namespace: bed.hosts.agent, extraEnvironment: environment)
                defer { kubectl.remove() }
                return try await body(bed, kubectl)
            }
        }

        /// The four kinds of exec every SPDY kubectl must get right, then the audit trail they left.
        static func checkExec(_ kubectl: Kubectl, _ bed: SandboxTestbed) async throws {
            let echo = try await kubectl.run(["exec"] + pod + ["--", "echo", "hello"])
            #expect(echo.exitCode == 0, "\(echo)")
            #expect(echo.standardOutput == "hello\n", "\(echo)")

            let failing = try await kubectl.run(["exec"] + pod + ["--", "sh", "-c", "exit 3"])
            #expect(failing.exitCode == 3, "\(failing)")
            #expect(failing.errorLines.contains("command terminated with exit code 3"), "\(failing)")

            let piped = try await kubectl.run(["exec", "-i"] + pod + ["--", "cat"], stdin: "piped input\nsecond line\n")
            #expect(piped.exitCode == 0, "\(piped)")
            #expect(piped.standardOutput == "piped input\nsecond line\n", "\(piped)")

            // stdout and stderr arrive on their own streams.
            let split = try await kubectl.run(["exec"] + pod + ["--", "sh", "-c", "echo out; nosuch"])
            #expect(split.exitCode == 127, "\(split)")
            #expect(split.standardOutput == "out\n", "\(split)")
            #expect(split.errorLines.contains("sh: 1: nosuch: not found"), "\(split)")

            let execs = try await completedOverSPDY(bed, subresource: "exec", count: 4, kubectl: kubectl)
            #expect(execs.contains { $0.requestURI.contains("command=echo&command=hello") }, "\(execs.map(AuditLog.summary))")
        }

        /// Waits for `count` completed `subresource` requests and checks they were SPDY upgrades by `kubectl`.
        @discardableResult
        static func completedOverSPDY(_ bed: SandboxTestbed, subresource: String, count: Int,
                                      kubectl: Kubectl) async throws -> [AuditEvent] {
            let log = bed.cluster.auditLog
            _ = try await log.waitForEvent { _ in
                ((try? log.events()) ?? []).filter { $0.stage == .responseComplete && $0.objectRef?.subresource == subresource }.count >= count
            }
            let events = try log.events().filter { $0.objectRef?.subresource == subresource }
            let agent = URL(fileURLWithPath: kubectl.binary).lastPathComponent
            for event in events {
                let summary = AuditLog.summary(event)
                #expect(event.verb == "create", "not a SPDY (POST) request: \(summary)")
                #expect(event.responseStatus?.code == 101, "\(summary)")
                #expect(event.userAgent.hasPrefix(agent + "/"), "\(summary): \(event.userAgent)")
                #expect(event.user.username == "admin", "\(summary)")
            }
            #expect(events.filter { $0.stage == .responseComplete }.count == count, "\(events.map(AuditLog.summary))")
            return events
        }

        @Test("exec over SPDY/3.1 with kubectl 1.27, 1.28 and 1.29", arguments: [27, 28, 29])
        func execWithKubectlThatOnlySpeaksSPDY(minor: Int) async throws {
            try await Self.withPod(kubectlMinor: minor) { bed, kubectl in
                try await Self.checkExec(kubectl, bed)
            }
        }

        @Test("exec over SPDY/3.1 with kubectl 1.32 and KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false")
        func execWithWebSocketsDisabled() async throws {
            try await Self.withPod(kubectlMinor: 32, environment: Self.forceSPDY) { bed, kubectl in
                try await Self.checkExec(kubectl, bed)
            }
        }

        @Test("exec -it over SPDY/3.1 in a pty: the resize stream is opened, output is CRLF, the exit code arrives",
              arguments: [27, 29])
        func execWithATerminal(minor: Int) async throws {
            // kubectl allocates a tty only when its stdin is a terminal: util-linux's script gives it one.
            let script = "/usr/bin/script"
            try #require(FileManager.default.isExecutableFile(atPath: script), "missing \(script) (Debian's bsdutils)")
            try await Self.withPod(kubectlMinor: minor) { bed, kubectl in
                let arguments = [kubectl.binary] + kubectl.commandArguments(["exec", "-it"] + Self.pod + ["--", "sh", "-c", "echo one; nosuch; exit 5"])
                let command = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
                let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": kubectl.homeDirectory, "LANG": "C.UTF-8", "TERM": "xterm"]
                let process = try ChildProcess.launch(script, ["-qec", command, "/dev/null"],
                                                      options: LaunchOptions(namespace: bed.hosts.agent.name, environment: environment,
                                                                             standardInput: .pipe, label: "script: kubectl.1.\(minor) exec -it"))
                let status = try await process.waitForExit(timeout: .seconds(30))
                process.closeStandardInput()
                #expect(status == .exited(5), "\(process.report)")
                // Through the pretend pty, stderr joins stdout and lines end in CRLF.
                #expect(process.standardOutput.contains("one\r\nsh: 1: nosuch: not found\r\n"), "\(process.report)")
                #expect(process.standardOutput.contains("command terminated with exit code 5"), "\(process.report)")
                let events = try await Self.completedOverSPDY(bed, subresource: "exec", count: 1, kubectl: kubectl)
                #expect(events.allSatisfy { $0.requestURI.contains("tty=true") }, "\(events.map(AuditLog.summary))")
            }
        }

        @Test("attach over SPDY/3.1: the container's log lines arrive and stdin is echoed", arguments: [27, 28, 29, 32])
        func attach(minor: Int) async throws {
            try await Self.withPod(kubectlMinor: minor, environment: minor >= 30 ? Self.forceSPDY : [:]) { bed, kubectl in
                let attach = try kubectl.start(["attach", "-i"] + Self.pod, standardInput: .pipe)
                do {
                    try await attach.waitForLine(containing: "from demo/web-1/main")
                    try attach.writeToStandardInput("typed into attach\n")
                    try await attach.waitForLine(containing: "typed into attach")
                } catch {
                    await attach.terminate()
                    throw error
                }
                await attach.terminate()
                try await Self.completedOverSPDY(bed, subresource: "attach", count: 1, kubectl: kubectl)
            }
        }

        @Test("port-forward over SPDY/3.1 is refused with a 400 that says it is not supported")
        func portForwardIsRefused() async throws {
            try await Self.withPod(kubectlMinor: 29) { bed, kubectl in
                let result = try await kubectl.run(["port-forward"] + Self.pod + ["8080:80"], timeout: .seconds(30))
                #expect(result.exitCode != 0, "\(result)")
                #expect(result.standardError.contains("does not support port-forward"), "\(result)")
                let event = try await bed.cluster.auditLog.waitForEvent {
                    $0.stage == .responseComplete && $0.objectRef?.subresource == "portforward"
                }
                #expect(event.responseStatus?.code == 400, "\(AuditLog.summary(event))")
            }
        }
    }
}
