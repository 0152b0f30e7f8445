/// What a relay's listener adds to the ``ProxyServices`` every connection shares: the gateways it
/// admits, and its own TLS (a certificate from the relay's CA for the names gateways dial, gateway
/// certificates required, one ALPN protocol per cluster: ``RelayProtocol``).
public struct RelayServices: Sendable {
    public var roster: GatewayRoster
    /// Contexts that require a client certificate from the relay's CA and offer
    /// ``RelayProtocol/name(cluster:)`` for each cluster.
    public var servingContexts: any ServingContextSource
    /// The names (DNS or IP) gateways use for the relay: in its serving certificate.
    public var serverNames: [String]

    public init(roster: GatewayRoster, servingContexts: any ServingContextSource, serverNames: [String]) {
        self.roster = roster
        self.servingContexts = servingContexts
        self.serverNames = serverNames
    }
}
