import Intercept

/// How a gateway reaches a cluster through a relay (docs/relay.md) instead of connecting to its API
/// server: the relay's address, the name its certificate must carry, and the cluster's name there.
///
/// For such a cluster, ``ClusterUpstream/trustRoots`` is the relay's CA and
/// ``ClusterUpstream/credential`` the gateway's client certificate from it: what the gateway
/// presents to the relay. It holds no credential for the cluster itself; the relay does.
public struct RelayRoute: Sendable, Hashable {
    /// The relay as configured (`relay.example.test:8443`), for messages.
    public var address: String
    /// Where connections go: the configured address, resolved when the gateway starts.
    public var endpoint: SocketEndpoint
    /// The name the relay's certificate is checked against; nil: its IP address.
    public var serverName: String?
    /// The cluster's name at the relay, named on each connection (``RelayProtocol``).
    public var cluster: String

    public init(address: String, endpoint: SocketEndpoint, serverName: String?, cluster: String) {
        self.address = address
        self.endpoint = endpoint
        self.serverName = serverName
        self.cluster = cluster
    }

    /// `relay relay.example.test:8443`, as Status messages name it.
    public var description: String { "the relay \(address)" }
}
