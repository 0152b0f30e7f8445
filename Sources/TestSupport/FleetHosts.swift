/// A fleet's hosts on one Ethernet segment: a Linux bridge in a namespace of its own (the switch),
/// and one namespace per host plugged into it (``BridgePort``), all in 198.18.0.0/24:
///
/// | host | address |
/// |---|---|
/// | agent 0 | 198.18.0.1 (``TestHosts/agentAddress``, so helpers that assume it still hold) |
/// | cluster | 198.18.0.2 (``TestHosts/clusterAddress``) |
/// | central | 198.18.0.4 |
/// | reviewer | 198.18.0.5 |
/// | agent *i* ≥ 1 | 198.18.0.(10 + *i*): .11, .12, … |
///
/// 198.18.0.3 stays free: InterceptTestbed gives it to the cluster as a second API address. Up to
/// ``maximumAgents`` agents fit.
///
/// Invariants:
/// - No namespace has a default route (IPv4 or IPv6): traffic only reaches the other hosts.
/// - ``with(agents:_:)`` always removes every namespace, also when the body throws; namespaces are
///   registered with ``CleanupRegistry/shared`` as they are created.
/// - Each namespace's role says what it plays: `switch`, `cluster`, `central`, `reviewer`, `agent0`, ...
public struct FleetHosts: Sendable {
    public static let prefixLength = 24
    public static let clusterAddress = TestHosts.clusterAddress
    public static let centralAddress = "198.18.0.4"
    public static let reviewerAddress = "198.18.0.5"
    public static let maximumAgents = 240
    /// The bridge's name inside the switch namespace.
    public static let bridge = "br0"

    /// The address of agent `index` (0-based).
    public static func agentAddress(_ index: Int) -> String {
        precondition((0..<maximumAgents).contains(index), "agent index \(index) is outside 0..<\(maximumAgents)")
        return index == 0 ? TestHosts.agentAddress : "198.18.0.\(10 + index)"
    }

    /// The namespace holding the bridge.
    public let switchHost: NetworkNamespace
    public let cluster: NetworkNamespace
    public let central: NetworkNamespace
    public let reviewer: NetworkNamespace
    public let agents: [NetworkNamespace]
    /// Every host's cable into the switch, in the order cluster, central, reviewer, agents.
    public let ports: [BridgePort]

    public var agentAddresses: [String] { agents.indices.map(Self.agentAddress) }
    /// Every host plugged into the switch, with its address.
    public var addressedHosts: [(host: NetworkNamespace, address: String)] {
        [(cluster, Self.clusterAddress), (central, Self.centralAddress), (reviewer, Self.reviewerAddress)]
            + zip(agents, agentAddresses).map { ($0, $1) }
    }

    /// Creates the switch and `agents` agents besides the cluster, central and reviewer hosts.
    /// On failure, whatever was created is removed.
    public static func create(agents count: Int) throws -> FleetHosts {
        guard (1...maximumAgents).contains(count) else {
            throw HarnessError("a fleet has 1 to \(maximumAgents) agents, not \(count)")
        }
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
            let cluster = try make("cluster"), central = try make("central"), reviewer = try make("reviewer")
            let agents = try (0..<count).map { try make("agent\($0)") }
            let hosts = [(cluster, clusterAddress), (central, centralAddress), (reviewer, reviewerAddress)]
                + agents.enumerated().map { ($0.element, agentAddress($0.offset)) }
            let ports = try hosts.map { host, address in
                try BridgePort.attach(host, address: address, prefixLength: prefixLength, to: switchHost, bridge: bridge)
            }
            for namespace in created { try VethLink.requireNoDefaultRoute(in: namespace) }
            return FleetHosts(switchHost: switchHost, cluster: cluster, central: central, reviewer: reviewer, agents: agents, ports: ports)
        } catch {
            for namespace in created.reversed() { namespace.remove() }
            throw error
        }
    }

    /// Creates the hosts, runs `body`, and always removes every namespace afterwards, also when
    /// `body` throws.
    public static func with<T>(agents: Int, _ body: (FleetHosts) async throws -> T) async throws -> T {
        let hosts = try create(agents: agents)
        defer { hosts.remove() }
        return try await body(hosts)
    }

    /// Unplugs `host` from the switch (see ``BridgePort``): a network partition of that one host.
    public func disconnect(_ host: NetworkNamespace) throws {
        try port(of: host).unplug()
    }

    /// Plugs `host` back in.
    public func reconnect(_ host: NetworkNamespace) throws {
        try port(of: host).plug()
    }

    /// The address `host` has on the segment.
    public func address(of host: NetworkNamespace) throws -> String {
        try port(of: host).host.address
    }

    private func port(of host: NetworkNamespace) throws -> BridgePort {
        guard let port = ports.first(where: { $0.host.namespace == host.name }) else {
            throw HarnessError("\(host.name) is not a host of this fleet")
        }
        return port
    }

    /// Every namespace of the fleet, the switch last.
    public var namespaces: [NetworkNamespace] { [cluster, central, reviewer] + agents + [switchHost] }

    /// Kills every process in every namespace and deletes them. Idempotent.
    public func remove() {
        for namespace in namespaces { namespace.remove() }
    }
}
