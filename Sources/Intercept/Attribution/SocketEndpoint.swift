import Glibc
import NIOCore

/// An IP address and a port: one end of a TCP connection or UDP flow.
///
/// Invariant: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is stored as its IPv4 form, because
/// that is how the kernel routes, NATs and tracks its packets. So `[::ffff:10.0.0.1]:443` and
/// `10.0.0.1:443` are the same endpoint.
public struct SocketEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(_ address: IPAddress, port: UInt16) {
        self.address = address.unmappedIPv4 ?? address
        self.port = port
    }

    /// `a.b.c.d:port` or `[v6]:port`.
    public var description: String { address.withPort(port) }

    /// True for `0.0.0.0` and `::`, the addresses a wildcard listener is bound to.
    public var isUnspecifiedAddress: Bool { address.bytes.allSatisfy { $0 == 0 } }

    public static func < (lhs: SocketEndpoint, rhs: SocketEndpoint) -> Bool {
        (lhs.address, lhs.port) < (rhs.address, rhs.port)
    }
}

extension SocketEndpoint {
    /// From a `sockaddr_in`, whose address and port are in network order.
    init(_ address: sockaddr_in) {
        var raw = address.sin_addr
        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
        self.init(.v4(bytes[0], bytes[1], bytes[2], bytes[3]), port: UInt16(bigEndian: address.sin_port))
    }

    /// From a `sockaddr_in6`, whose address and port are in network order.
    init(_ address: sockaddr_in6) {
        var raw = address.sin6_addr
        self.init(.v6(withUnsafeBytes(of: &raw) { Array($0) }), port: UInt16(bigEndian: address.sin6_port))
    }

    /// From a `sockaddr_storage` of family AF_INET or AF_INET6; `nil` for any other family.
    init?(_ storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            self = withUnsafeBytes(of: &storage) { SocketEndpoint($0.loadUnaligned(as: sockaddr_in.self)) }
        case AF_INET6:
            self = withUnsafeBytes(of: &storage) { SocketEndpoint($0.loadUnaligned(as: sockaddr_in6.self)) }
        default:
            return nil
        }
    }
}

extension SocketEndpoint {
    /// From a NIO socket address; `nil` for a Unix domain socket.
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4): self.init(v4.address)
        case .v6(let v6): self.init(v6.address)
        case .unixDomainSocket: return nil
        }
    }
}
