/// One host's cable into a ``FleetHosts`` switch: a veth pair whose host end is addressed in the
/// host's namespace and whose other end is a port of the bridge in the switch's namespace.
///
/// Invariants:
/// - The pair is created directly inside the two namespaces, so it never exists in the host's
///   namespace, and it disappears with either of them.
/// - Only the host end has an address; the switch end is a bridge port and nothing else.
/// - Unplugging sets the switch end down: the host keeps its address and route (its interface
///   shows NO-CARRIER, as with a pulled cable), so its connections time out or find no route to
///   host, rather than failing at once with "network unreachable".
public struct BridgePort: Sendable, Hashable {
    /// The host's end: namespace, interface and address.
    public let host: VethEndpoint
    /// The switch's end (a bridge port, no address).
    public let switchNamespace: String
    public let switchInterface: String

    /// Plugs `host` into `bridge` of `switchHost`, with `address/prefixLength` on the host's end.
    public static func attach(_ host: NetworkNamespace, address: String, prefixLength: Int,
                              to switchHost: NetworkNamespace, bridge: String) throws -> BridgePort {
        let (hostInterface, switchInterface) = VethLink.interfaceNames(counter: NamespaceName.nextCounter())
        try host.ip(["link", "add", hostInterface, "type", "veth", "peer", "name", switchInterface, "netns", switchHost.name])
        try switchHost.ip(["link", "set", switchInterface, "master", bridge])
        try switchHost.ip(["link", "set", switchInterface, "up"])
        let end = VethEndpoint(namespace: host.name, interface: hostInterface, address: address, prefixLength: prefixLength)
        try host.ip(["addr", "add", end.cidr, "dev", hostInterface])
        try host.ip(["link", "set", hostInterface, "up"])
        return BridgePort(host: end, switchNamespace: switchHost.name, switchInterface: switchInterface)
    }

    /// Unplugs the cable at the switch (its end down).
    func unplug() throws {
        try HostCommand.check(try SystemTools.ip(), ["-n", switchNamespace, "link", "set", switchInterface, "down"])
    }

    /// Plugs it back in.
    func plug() throws {
        try HostCommand.check(try SystemTools.ip(), ["-n", switchNamespace, "link", "set", switchInterface, "up"])
    }
}
