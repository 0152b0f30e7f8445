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
/// With `central`, the **central host** runs a ``PostgresCluster`` on 198.18.0.4, migrated, with a
/// login role ``relayHostName`` for the relay, which ships its record there (`central:` in relay.yaml,
/// `hostName` ``relayHostName``). Everything is removed afterwards, also when the body throws.
public struct RelayTestbed: Sendable {
    public static let gatewayName = "runner-a"
    /// The relay's host name (and login role) in the central store.
    public static let relayHostName = "relay-1"
    public static let relayPassword = "pw-relay-1-0123456789"

    public let hosts: RelayHosts
    public let sandbox: SandboxCluster
    public let relay: RelayInstance
    public let gateway: GatewayInstance
    /// The central store, with `central: true`.
    public let postgres: PostgresCluster?

    public var runner: NetworkNamespace { hosts.runner }

    public static func with<T>(gatewayPolicy: String = GatewayTestbed.allowEverything, relayPolicy: String = GatewayTestbed.allowEverything,
                               firewall: Bool = true, logIntervalMilliseconds: Int = 100, central: Bool = false,
                               _ body: (RelayTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        if central { try PostgresTools.requirePrerequisites() }
        return try await RelayHosts.with { hosts in
            let postgres = central ? try await PostgresCluster.start(in: hosts.central, address: RelayHosts.centralAddress) : nil
            defer { postgres?.remove() }
            if let postgres { try prepareCentral(postgres) }
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
                                                  policy: relayPolicy) { _ in try postgres.map(centralSection) }
            defer { relay.remove() }
            try relay.enroll(gateway, name: gatewayName)
            try await relay.start()
            try await gateway.start()
            let result = try await body(RelayTestbed(hosts: hosts, sandbox: sandbox, relay: relay, gateway: gateway, postgres: postgres))
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

    // MARK: The central store

    /// `central migrate` as the owner, then the roles `central roles --gateway relay-1` prints, with
    /// the relay's password, as docs/central.md tells an operator.
    static func prepareCentral(_ postgres: PostgresCluster) throws {
        let directory = try TemporaryDirectory.create(purpose: "central-admin")
        defer { directory.remove() }
        let passwordFile = try postgres.writePasswordFile(postgres.superuserPassword, owner: 0)
        let admin = try directory.write("""
            central:
              host: \(postgres.address)
              user: \(postgres.superuser)
              passwordFile: \(passwordFile)
              caFile: \(postgres.caCertificatePath)
            """, to: "admin.yaml")
        let migrated = try postgres.namespace.run(try Products.gateway(), ["central", "migrate", "--config", admin])
        guard migrated.status.isSuccess else { throw HarnessError("central migrate failed: \(migrated)") }
        let roles = try HostCommand.run(try Products.gateway(), ["central", "roles", "--gateway", relayHostName])
        guard roles.status.isSuccess else { throw HarnessError("central roles failed: \(roles)") }
        let applied = try postgres.psql(roles.standardOutput + "ALTER ROLE \"\(relayHostName)\" PASSWORD '\(relayPassword)';")
        guard applied.status.isSuccess else { throw HarnessError("the roles SQL failed: \(applied)") }
    }

    /// relay.yaml's `central:` section: the relay's role, its password file and a copy of the CA
    /// its uid can read.
    static func centralSection(_ postgres: PostgresCluster) throws -> String {
        let passwordFile = try postgres.writePasswordFile(relayPassword, owner: RelayInstance.uid)
        return """
            central:
              host: \(postgres.address)
              port: \(postgres.port)
              user: \(relayHostName)
              passwordFile: \(passwordFile)
              caFile: \(postgres.caCertificatePath)
              hostName: \(relayHostName)
              mode: async
              drainTimeout: 30s
              pollInterval: 1s
            """
    }
}
