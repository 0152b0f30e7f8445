/// Decides whether a connection that reached the gateway's port may be proxied, from its original
/// destination alone. Pure logic: no sockets, no clock.
///
/// A connection is admitted only when it was redirected, its original destination is a configured
/// API endpoint, and that destination is not the gateway itself. Everything else is refused with a
/// reason that names what was wrong (fail closed):
/// - not redirected: the gateway cannot know where the client meant to go;
/// - the gateway's own port: a direct connection would make the gateway dial itself (mitmproxy #2740);
/// - any other destination: iptables should never have sent it here, so something is misconfigured.
///
/// IPv4-mapped IPv6 addresses compare equal to their IPv4 form (see ``SocketEndpoint``).
public struct RedirectAdmission: Sendable, Hashable {
    /// The API endpoints connections may be proxied to.
    public let endpoints: Set<SocketEndpoint>
    /// The addresses the gateway listens on; `0.0.0.0` or `::` stands for every local address.
    public let gatewayAddresses: Set<IPAddress>
    /// The port the gateway listens on, which iptables redirects to.
    public let gatewayPort: UInt16

    /// What the gateway does with a connection.
    public enum Decision: Sendable, Hashable {
        /// Proxy it to this API endpoint.
        case admit(SocketEndpoint)
        /// Close it and record why.
        case refuse(reason: String)
    }

    /// A configuration that could never admit anything safely.
    public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    public static let notRedirectedReason = "connection was not redirected (no original destination)"
    public static let gatewayItselfReason = "original destination is the gateway's own port: a direct connection to the gateway"

    /// Throws when an endpoint is the gateway's own listener: it would redirect the gateway into itself.
    public init(endpoints: some Sequence<SocketEndpoint>, gatewayAddresses: some Sequence<IPAddress>,
                gatewayPort: UInt16) throws(ConfigurationError) {
        self.endpoints = Set(endpoints)
        self.gatewayAddresses = Set(gatewayAddresses.map { $0.unmappedIPv4 ?? $0 })
        self.gatewayPort = gatewayPort
        if let loop = self.endpoints.sorted().first(where: isGateway) {
            throw ConfigurationError(description: "API endpoint \(loop) is the gateway's own listener "
                + "(port \(gatewayPort)): it would redirect the gateway into itself")
        }
        if self.endpoints.isEmpty {
            throw ConfigurationError(description: "no API endpoints: every connection would be refused")
        }
    }

    /// The decision for a connection whose original destination is `original`; nil when it was not
    /// redirected.
    public func decide(originalDestination original: SocketEndpoint?) -> Decision {
        guard let original else { return .refuse(reason: Self.notRedirectedReason) }
        if isGateway(original) { return .refuse(reason: Self.gatewayItselfReason) }
        guard endpoints.contains(original) else {
            return .refuse(reason: "original destination \(original) is not a configured API endpoint")
        }
        return .admit(original)
    }

    /// The decision for the outcome of ``OriginalDestination/of(socket:)`` or
    /// ``OriginalDestination/of(channel:)``: not redirected, unknown, or a destination to judge.
    public func decide(_ lookup: Result<(address: IPAddress, port: UInt16), OriginalDestinationError>) -> Decision {
        switch lookup {
        case .success(let original):
            return decide(originalDestination: SocketEndpoint(original.address, port: original.port))
        case .failure(let error) where error.isNotRedirected:
            return decide(originalDestination: nil)
        case .failure(let error):
            return .refuse(reason: "original destination unknown: \(error)")
        }
    }

    /// Whether `endpoint` is one of the gateway's own listening sockets. A wildcard listener covers
    /// every address of both families (a dual-stack `::` socket accepts IPv4 too), so it errs closed.
    public func isGateway(_ endpoint: SocketEndpoint) -> Bool {
        guard endpoint.port == gatewayPort else { return false }
        return gatewayAddresses.contains(endpoint.address)
            || gatewayAddresses.contains { $0.bytes.allSatisfy { $0 == 0 } }
    }
}
