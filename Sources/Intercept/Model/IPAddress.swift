import Glibc

/// An IPv4 or IPv6 address, held as its network-order bytes.
public enum IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(UInt8, UInt8, UInt8, UInt8)
    case v6([UInt8])

    /// Parses a dotted-quad or RFC 4291 text address; `nil` for anything else (names included).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let b = withUnsafeBytes(of: &v4) { Array($0) }
            self = .v4(b[0], b[1], b[2], b[3])
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    /// From 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        switch b.count {
        case 4: self = .v4(b[0], b[1], b[2], b[3])
        case 16: self = .v6(b)
        default: return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let a, let b, let c, let d): [a, b, c, d]
        case .v6(let b): b
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    public var family: AddressFamily { isIPv4 ? .v4 : .v6 }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else `nil`.
    public var unmappedIPv4: IPAddress? {
        guard case .v6(let b) = self, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF else { return nil }
        return .v4(b[12], b[13], b[14], b[15])
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let a, _, _, _): a == 127
        case .v6(let b): b == [UInt8](repeating: 0, count: 15) + [1] || (unmappedIPv4?.isLoopback ?? false)
        }
    }

    public var description: String {
        switch self {
        case .v4(let a, let b, let c, let d):
            return "\(a).\(b).\(c).\(d)"
        case .v6(let b):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: b) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// `a.b.c.d:port` or `[v6]:port`.
    public func withPort(_ port: UInt16) -> String {
        isIPv4 ? "\(self):\(port)" : "[\(self)]:\(port)"
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.isIPv4 != rhs.isIPv4 { return lhs.isIPv4 }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

/// The two IP families, as iptables and ip6tables split them.
public enum AddressFamily: String, Sendable, Hashable, CaseIterable, Codable {
    case v4, v6
}
