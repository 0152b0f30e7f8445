import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// Tests of the namespace harness itself: the hosts are isolated, connected, and always removed.
    /// They need root (network namespaces) and Debian's python3 for a tiny TCP server.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct TestHostsTests {
        static let python = "/usr/bin/python3"

        @Test func hostsAreConnectedAndRemovedAfterwards() async throws {
            try Privileges.requireRoot()
            var names: [String] = []
            var server: ChildProcess?
            try await TestHosts.withAgentAndCluster { hosts in
                names = [hosts.agent.name, hosts.cluster.name]
                #expect(hosts.agent.name.hasPrefix("pcl-\(getpid())-"))
                #expect(hosts.link.first.interface.count <= 15 && hosts.link.second.interface.count <= 15)
                #expect(Set(Self.namespaceList()).isSuperset(of: names))

                let started = try hosts.cluster.launch(Self.python, ["-u", "-m", "http.server", "--bind",
                                                                     TestHosts.clusterAddress, "8080"])
                server = started
                try await started.waitForLine(containing: "Serving HTTP on", timeout: .seconds(20))
                let fetch = try Self.connect(from: hosts.agent, to: TestHosts.clusterAddress, port: 8080)
                #expect(fetch.status.isSuccess, "\(fetch.standardError)")
                #expect(fetch.standardOutput == "connected\n")

                let outside = try Self.connect(from: hosts.agent, to: "192.0.2.1", port: 80)
                #expect(!outside.status.isSuccess, "the agent host reached an address outside the test hosts")
                #expect(outside.standardError.contains("unreachable"), "\(outside.standardError)")
            }
            #expect(Set(Self.namespaceList()).isDisjoint(with: names))
            let status = try await #require(server).waitForExit(timeout: .seconds(10))
            #expect(status == .signalled(SIGKILL), "the server in the cluster namespace survived its removal")
        }

        @Test func hostsAreRemovedWhenTheBodyThrows() async throws {
            try Privileges.requireRoot()
            struct Boom: Error {}
            var names: [String] = []
            await #expect(throws: Boom.self) {
                try await TestHosts.withAgentAndCluster { hosts in
                    names = [hosts.agent.name, hosts.cluster.name]
                    _ = try hosts.agent.launch("/bin/sleep", ["60"])
                    throw Boom()
                }
            }
            #expect(names.count == 2)
            #expect(Set(Self.namespaceList()).isDisjoint(with: names))
        }

        @Test func staleNamespacesOfDeadOwnersAreSwept() async throws {
            try Privileges.requireRoot()
            let ip = try SystemTools.ip()
            let deadPID = try await Self.pidOfAFinishedProcess()
            let stale = NamespaceName(ownerPID: deadPID, counter: 0, role: "stale").description
            let live = NamespaceName(ownerPID: getpid(), counter: 999_999, role: "live").description
            try HostCommand.check(ip, ["netns", "add", stale])
            try HostCommand.check(ip, ["netns", "add", live])
            defer { _ = try? HostCommand.run(ip, ["netns", "delete", live]) }
            let sleeper = try ChildProcess.launch("/bin/sh", ["-c", "echo inside; exec sleep 60"],
                                                  options: LaunchOptions(namespace: stale))
            try await sleeper.waitForLine(containing: "inside")  // printed only after entering the namespace

            StaleResourceSweep.run()

            let remaining = Self.namespaceList()
            #expect(!remaining.contains(stale))
            #expect(remaining.contains(live), "the sweep removed a namespace whose owner is alive")
            #expect(try await sleeper.waitForExit(timeout: .seconds(10)) == .signalled(SIGKILL))
        }

        @Test func processesCanRunAsAnotherUserInsideANamespace() async throws {
            try Privileges.requireRoot()
            try await TestHosts.withAgentAndCluster { hosts in
                let options = LaunchOptions(runAs: RunAs(uid: 65534, gid: 65534))
                let child = try hosts.agent.launch("/usr/bin/id", ["-u"], options: options)
                #expect(try await child.waitForExit(timeout: .seconds(10)) == .exited(0))
                #expect(child.standardOutput == "65534\n")
            }
        }

        // MARK: Helpers

        static func namespaceList() -> [String] {
            guard let ip = try? SystemTools.ip(), let result = try? HostCommand.run(ip, ["netns", "list"]) else { return [] }
            return TextLines.lines(of: result.standardOutput).compactMap { $0.split(separator: " ").first.map(String.init) }
        }

        /// Opens a TCP connection from `namespace` with Debian's python3; prints "connected" on success.
        static func connect(from namespace: NetworkNamespace, to address: String, port: Int) throws -> HostCommandResult {
            let script = "import socket; socket.create_connection(('\(address)', \(port)), timeout=5); print('connected')"
            return try namespace.run(python, ["-c", script], timeout: .seconds(20))
        }

        /// A pid that no process has any more.
        static func pidOfAFinishedProcess() async throws -> Int32 {
            let child = try ChildProcess.launch("/bin/true")
            _ = try await child.waitForExit(timeout: .seconds(10))
            return child.processIdentifier
        }
    }
}
