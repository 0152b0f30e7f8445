import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// A kubeconfig that names the API server by a host name the gateway's configuration does not
    /// list (only the agent host's /etc/hosts knows it): kubectl asks for that name (SNI) and the
    /// gateway presents a certificate for it, while it still verifies the API server as configured.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct ServerNameEndToEndTests {
        static let hostName = "api.example.test"

        @Test("kubectl with server https://api.example.test:6443, a name only the agent host resolves, works through the gateway",
              arguments: [GatewayTestbed.CAMode.generated, .intermediateOfClusterCA])
        func unlistedHostName(caMode: GatewayTestbed.CAMode) async throws {
            try await GatewayTestbed.with(caMode: caMode) { bed in
                try NamespaceHostsFile.write([(TestHosts.clusterAddress, [Self.hostName])], for: bed.agent)
                let kubeconfig = try bed.kubeconfig(server: "https://\(Self.hostName):6443")
                let kubectl = try bed.kubectl(kubeconfig: kubeconfig)
                defer { kubectl.remove() }
                let namespaces = try await kubectl.run(["get", "ns", "default"])
                #expect(namespaces.exitCode == 0, "\(namespaces)")
                #expect(namespaces.standardOutput.contains("default"), "\(namespaces)")
                #expect(!namespaces.standardError.contains("x509"), "\(namespaces)")

                let event = try await bed.sandbox.auditLog.waitForEvent { $0.requestURI == "/api/v1/namespaces/default" }
                #expect(event.impersonatedUser?.username == GatewayTestbed.username, "the request went through the gateway")
                let minted = try await bed.gateway.waitForLine(containing: "a server name the configuration does not list",
                                                              in: .standardError)
                #expect(minted.contains(Self.hostName), "\(minted)")
            }
        }
    }
}
