import Foundation
import Kube

/// A runner host, a relay host and a cluster host (issue 16), on one switch (``RelayHosts``):
/// - the **cluster host** runs `portcullis-sandbox` on 198.18.0.2:6443 behind a firewall that
///   accepts API connections from the relay's address only;
/// - the **relay host** runs `portcullis relay` (``RelayInstance``) on 198.18.0.6:8443, holding the
///   sandbox's admin token;
/// - the **runner host** runs the issuers (on 198.18.0.1, so that the relay reaches them too) and
///   `portcullis up` (``GatewayInstance``, named `runner-a`), whose cluster is behind the relay: it
///   holds no cluster credential, only its enrolled certificate. kubectl runs there as the agent.
///
/// `relayExtra` may return whole top-level sections for relay.yaml (e.g. `central:`), given the
/// relay's work directory; `beforeRelayStarts` runs before the relay starts (e.g. to prepare
/// PostgreSQL). Everything is removed afterwards, also when the body throws.
public struct RelayTestbed: Sendable {
    public static let gatewayName = "runner-a"

    public let hosts: RelayHosts
    public let sandbox: SandboxCluster
    public let relay: RelayInstance
    public let gateway: GatewayInstance

    public var runner: NetworkNamespace { hosts.runner }

    public static func with<T>(gatewayPolicy: String = GatewayTestbed.allowEverything, relayPolicy: String = GatewayTestbed.allowEverything,
                               firewall: Bool = true, logIntervalMilliseconds: Int = 100,
                               relayExtra: @escaping (RelayHosts, TemporaryDirectory) throws -> String? = { _, _ in nil },
                               beforeRelayStarts: (RelayHosts, RelayInstance) async throws -> Void = { _, _ in },
                               _ body: (RelayTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        return try await RelayHosts.with { hosts in
            let sandbox = try await SandboxCluster.start(in: hosts.cluster, listen: "\(RelayHosts.clusterAddress):6443",
                                                         logIntervalMilliseconds: logIntervalMilliseconds)
            if firewall { try hosts.closeClusterToAllButTheRelay() }
            var options = GatewayOptions(policy: gatewayPolicy)
            options.issuerHost = RelayHosts.runnerAddress
            options.relay = GatewayRelayOptions(address: "\(RelayHosts.relayAddress):\(RelayInstance.port)", serverName: "relay.test",
                                                name: gatewayName)
            let gateway = try await GatewayInstance.prepare(hostName: gatewayName, address: RelayHosts.runnerAddress, agent: hosts.runner,
                                                            sandbox: sandbox, options: options)
            defer { gateway.remove() }
            let relay = try RelayInstance.prepare(in: hosts.relay, sandbox: sandbox, issuers: [gateway.issuerURL, gateway.mintingIssuerURL],
                                                  policy: relayPolicy) { try relayExtra(hosts, $0) }
            defer { relay.remove() }
            try relay.enroll(gateway, name: gatewayName)
            try await beforeRelayStarts(hosts, relay)
            try await relay.start()
            try await gateway.start()
            let result = try await body(RelayTestbed(hosts: hosts, sandbox: sandbox, relay: relay, gateway: gateway))
            try sandbox.requireRunning()
            await sandbox.stop()
            return result
        }
    }

    /// kubectl 1.`minor` on the runner host as the agent's uid.
    public func kubectl(minor: Int = 32, extraEnvironment: [String: String] = [:]) throws -> Kubectl {
        try gateway.kubectl(minor: minor, extraEnvironment: extraEnvironment)
    }

    /// relay_client.py on the runner host as root (who can read the gateway's key): straight to the
    /// relay with the gateway's certificate, naming the sandbox, one JSON answer per request.
    public func straightToTheRelay(_ method: String, _ path: String, headers: [String] = [], certificate: Bool = true,
                                   repeat count: Int = 1, interval: Double = 0, timeout: Duration = .seconds(60)) throws -> [JSONValue] {
        let directory = gateway.work.path("relay")
        var arguments = [try PythonTools.clientScript("relay_client.py"), "--address", relay.address, "--ca", directory + "/relay-ca.crt",
                         "--server-name", "relay.test", "--cluster", RelayInstance.cluster, "--repeat", String(count),
                         "--interval", String(interval), "--timeout", "5"]
        if certificate { arguments += ["--cert", directory + "/\(Self.gatewayName).crt", "--key", directory + "/\(Self.gatewayName).key"] }
        for header in headers { arguments += ["--header", header] }
        let result = try runner.run("/usr/bin/python3", arguments + [method, path], timeout: timeout)
        guard result.status.isSuccess else { throw HarnessError("relay_client.py failed: \(result)") }
        return try result.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    /// How many packets the cluster's firewall dropped so far.
    public func droppedByTheClusterFirewall() throws -> Int {
        let iptables = try SystemTools.path(of: "iptables", package: "iptables")
        let listing = try hosts.cluster.run(iptables, ["-w", "-L", "INPUT", "-v", "-n", "-x"])
        let drops = listing.standardOutput.split(separator: "\n").filter { $0.contains("DROP") && $0.contains("dpt:6443") }
        return drops.compactMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).first ?? "") }.reduce(0, +)
    }
}
