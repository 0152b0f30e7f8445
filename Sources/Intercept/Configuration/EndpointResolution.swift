import Glibc

/// The API endpoints as addresses: every configured IP, and every A and AAAA record of every name.
public struct ResolvedEndpoints: Sendable, Hashable {
    public struct Entry: Sendable, Hashable, Comparable {
        public var address: IPAddress
        public var port: UInt16
        public var cluster: String

        public static func < (a: Entry, b: Entry) -> Bool {
            (a.address, a.port, a.cluster) < (b.address, b.port, b.cluster)
        }
    }

    /// Sorted and without duplicates.
    public private(set) var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = Array(Set(entries)).sorted()
    }

    /// The distinct addresses of `family`, sorted.
    public func addresses(_ family: AddressFamily) -> [IPAddress] {
        Array(Set(entries.filter { $0.address.family == family }.map(\.address))).sorted()
    }

    /// The distinct (address, port) pairs of `family`, sorted.
    public func endpoints(_ family: AddressFamily) -> [(address: IPAddress, port: UInt16)] {
        struct Pair: Hashable, Comparable {
            var address: IPAddress
            var port: UInt16
            static func < (a: Pair, b: Pair) -> Bool { (a.address, a.port) < (b.address, b.port) }
        }
        return Set(entries.filter { $0.address.family == family }.map { Pair(address: $0.address, port: $0.port) })
            .sorted().map { ($0.address, $0.port) }
    }

    /// The cluster an original destination belongs to, if it is an endpoint. An IPv4-mapped IPv6
    /// address matches its IPv4 form.
    public func cluster(for address: IPAddress, port: UInt16) -> String? {
        let plain = address.unmappedIPv4 ?? address
        return entries.first { $0.address == plain && $0.port == port }?.cluster
    }
}

/// Turns host names into addresses.
public protocol HostResolver: Sendable {
    /// Every address of `host`; throws when it has none.
    func addresses(of host: String) throws(ResolutionError) -> [IPAddress]
}

public struct ResolutionError: Error, Sendable, CustomStringConvertible {
    public var host: String
    public var message: String

    public init(host: String, message: String) {
        self.host = host
        self.message = message
    }
    public var description: String { "cannot resolve \(host): \(message)" }
}

/// `getaddrinfo` with AF_UNSPEC: A and AAAA records, /etc/hosts included.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(of host: String) throws(ResolutionError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0 else { throw ResolutionError(host: host, message: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(result) }
        var addresses: [IPAddress] = []
        var cursor = result
        while let info = cursor?.pointee {
            if let sockaddr = info.ai_addr {
                switch info.ai_family {
                case AF_INET:
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                        var a = sin.pointee.sin_addr
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) }) { addresses.append(ip) }
                    }
                case AF_INET6:
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                        var a = sin6.pointee.sin6_addr
                        if let ip = IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) }) { addresses.append(ip) }
                    }
                default: break
                }
            }
            cursor = info.ai_next
        }
        guard !addresses.isEmpty else { throw ResolutionError(host: host, message: "no A or AAAA records") }
        return addresses
    }
}

extension InterceptConfiguration {
    /// Resolves every endpoint. IP literals need no lookup; names are resolved with `resolver`.
    /// IPv4-mapped IPv6 literals are stored as IPv4, which is how the kernel sees their packets.
    public func resolveEndpoints(using resolver: some HostResolver = SystemHostResolver()) throws(ResolutionError) -> ResolvedEndpoints {
        var entries: [ResolvedEndpoints.Entry] = []
        for spec in endpoints {
            let addresses: [IPAddress]
            if let literal = IPAddress(spec.host) {
                addresses = [literal]
            } else {
                addresses = try resolver.addresses(of: spec.host)
            }
            for address in addresses {
                entries.append(.init(address: address.unmappedIPv4 ?? address, port: spec.port, cluster: spec.cluster))
            }
        }
        return ResolvedEndpoints(entries: entries)
    }
}
