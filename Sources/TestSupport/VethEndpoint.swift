/// One end of a ``VethLink``: the interface in one namespace and its IPv4 address.
public struct VethEndpoint: Sendable, Hashable {
    public let namespace: String
    public let interface: String
    public let address: String
    public let prefixLength: Int

    /// `address/prefixLength`, as `ip addr add` takes it.
    public var cidr: String { "\(address)/\(prefixLength)" }
}
