/// What the guard counts dropped packets by: who sent them, where to, and over which protocol.
///
/// Local packets with a socket owner are keyed by uid; everything else (forwarded, or without a full
/// socket) by source address. Ports are left out on purpose: a port scan must not create a key per
/// port, and the destination address is what identifies the API server.
public struct BypassKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Origin: Sendable, Hashable, Comparable, CustomStringConvertible {
        case uid(UInt32)
        case source(IPAddress)

        public var description: String {
            switch self {
            case .uid(let uid): "uid \(uid)"
            case .source(let address): "source \(address)"
            }
        }
    }

    public var origin: Origin
    public var destination: IPAddress
    public var transport: TransportProtocol

    public init(origin: Origin, destination: IPAddress, transport: TransportProtocol) {
        self.origin = origin
        self.destination = destination
        self.transport = transport
    }

    /// The key of a packet: by uid when the kernel gave one, else by source address.
    public init(flow: Flow, uid: UInt32?) {
        self.init(origin: uid.map(Origin.uid) ?? .source(flow.source), destination: flow.destination,
                  transport: flow.transport)
    }

    /// `uid 64991 -> 198.18.0.2 udp`
    public var description: String { "\(origin) -> \(destination) \(transport)" }

    public static func < (lhs: BypassKey, rhs: BypassKey) -> Bool {
        if lhs.origin != rhs.origin { return lhs.origin < rhs.origin }
        if lhs.destination != rhs.destination { return lhs.destination < rhs.destination }
        return lhs.transport.number < rhs.transport.number
    }
}
