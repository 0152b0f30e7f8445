/// The hosts of the relay tests (issue 16), each a namespace on one switch, as ``FleetHosts`` has
/// them (a bridge in a namespace of its own), all in 198.18.0.0/24:
///
/// | host | address |
/// |---|---|
/// | runner (the agent host: interception, the gateway, the issuers) | 198.18.0.1 (``TestHosts/agentAddress``) |
/// | cluster (the sandbox API server, behind its firewall) | 198.18.0.2 (``TestHosts/clusterAddress``) |
/// | central (PostgreSQL, when a test ships the relay's record) | 198.18.0.4 |
/// | relay | 198.18.0.6 |
///
/// Invariants: no namespace has a default route; ``with(_:)`` always removes every namespace,
/// also when the body throws; the cluster's firewall (``closeClusterToAllButTheRelay(port:)``) is
/// inside the cluster's namespace, never the test machine's.
public struct RelayHosts: Sendable {
    public static let prefixLength = 24
    public static let runnerAddress = TestHosts.agentAddress
    public static let clusterAddress = TestHosts.clusterAddress
    public static let centralAddress = FleetHosts.centralAddress
    public static let relayAddress = "198.18.0.6"
    public static let bridge = "br0"

    public let switchHost: NetworkNamespace
    public let runner: NetworkNamespace
    public let cluster: NetworkNamespace
    public let central: NetworkNamespace
    public let relay: NetworkNamespace
    public let ports: [BridgePort]

    public static func create() throws -> RelayHosts {
        var created: [NetworkNamespace] = []
        func make(_ role: String) throws -> NetworkNamespace {
            let namespace = try NetworkNamespace.create(role: role)
            created.append(namespace)
            return namespace
        }
        do {
            let switchHost = try make("switch")
            try switchHost.ip(["link", "add", bridge, "type", "bridge"])
            try switchHost.ip(["link", "set", bridge, "up"])
            let runner = try make("runner"), cluster = try make("cluster"), central = try make("central"), relay = try make("relay")
            let ports = try [(runner, runnerAddress), (cluster, clusterAddress), (central, centralAddress), (relay, relayAddress)].map { host, address in
                try BridgePort.attach(host, address: address, prefixLength: prefixLength, to: switchHost, bridge: bridge)
            }
            for namespace in created { try VethLink.requireNoDefaultRoute(in: namespace) }
            return RelayHosts(switchHost: switchHost, runner: runner, cluster: cluster, central: central, relay: relay, ports: ports)
        } catch {
            for namespace in created.reversed() { namespace.remove() }
            throw error
        }
    }

    public static func with<T>(_ body: (RelayHosts) async throws -> T) async throws -> T {
        let hosts = try create()
        defer { hosts.remove() }
        return try await body(hosts)
    }

    /// The cluster's firewall, as a cloud security group or a NetworkPolicy would have it: TCP to
    /// `port` is accepted from the relay's address only and dropped from everyone else (dropped, not
    /// rejected: a scanner learns nothing). Inside the cluster's namespace.
    public func closeClusterToAllButTheRelay(port: Int = 6443) throws {
        let iptables = try SystemTools.path(of: "iptables", package: "iptables")
        for rule in [["-A", "INPUT", "-p", "tcp", "--dport", String(port), "-s", Self.relayAddress, "-j", "ACCEPT"],
                     ["-A", "INPUT", "-p", "tcp", "--dport", String(port), "-j", "DROP"]] {
            let result = try cluster.run(iptables, ["-w"] + rule)
            guard result.status.isSuccess else { throw HarnessError("the cluster's firewall rule \(rule) failed: \(result)") }
        }
    }

    /// Every namespace, the switch last.
    public var namespaces: [NetworkNamespace] { [runner, cluster, central, relay, switchHost] }

    public func remove() {
        for namespace in namespaces { namespace.remove() }
    }
}
