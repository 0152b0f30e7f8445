/// A transport protocol by its IP protocol number.
public enum TransportProtocol: Sendable, Hashable, CustomStringConvertible {
    case tcp, udp, icmp, icmpv6, sctp
    case other(UInt8)

    public init(number: UInt8) {
        switch number {
        case 6: self = .tcp
        case 17: self = .udp
        case 1: self = .icmp
        case 58: self = .icmpv6
        case 132: self = .sctp
        default: self = .other(number)
        }
    }

    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .icmp: 1
        case .icmpv6: 58
        case .sctp: 132
        case .other(let n): n
        }
    }

    public var description: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .sctp: "sctp"
        case .other(let n): "ip-proto-\(n)"
        }
    }
}

/// The 5-tuple of a packet or connection. Ports are nil for protocols without them.
public struct Flow: Sendable, Hashable, CustomStringConvertible {
    public var transport: TransportProtocol
    public var source: IPAddress
    public var sourcePort: UInt16?
    public var destination: IPAddress
    public var destinationPort: UInt16?

    public init(transport: TransportProtocol, source: IPAddress, sourcePort: UInt16?, destination: IPAddress,
                destinationPort: UInt16?) {
        self.transport = transport
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
    }

    public var description: String {
        func end(_ a: IPAddress, _ p: UInt16?) -> String { p.map { a.withPort($0) } ?? a.description }
        return "\(transport) \(end(source, sourcePort)) -> \(end(destination, destinationPort))"
    }
}
