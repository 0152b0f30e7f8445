/// One row of `connections`, with its end from `connection_ends` when the connection has ended.
public struct ConnectionRecord: Sendable, Hashable {
    public var seq: Int64
    public var id: Int64
    public var openedAt: Int64
    public var closedAt: Int64?
    /// `198.18.0.1:41234`
    public var peer: String
    public var originalDestination: String?
    public var cluster: String?
    /// `allowed` or `refused`.
    public var outcome: String
    /// Why a refused connection was refused.
    public var reason: String?
    public var caller: CallerRecord
    /// The caller's own address for bridge traffic.
    public var callerAddress: String?
    public var interface: String?
    public var tlsServerName: String?
    /// Why the connection ended early: its TLS handshake failed, or the client left before it completed.
    public var endReason: String?

    public init(seq: Int64, id: Int64, openedAt: Int64, closedAt: Int64? = nil, peer: String, originalDestination: String? = nil,
                cluster: String? = nil, outcome: String, reason: String? = nil, caller: CallerRecord = CallerRecord(),
                callerAddress: String? = nil, interface: String? = nil, tlsServerName: String? = nil, endReason: String? = nil) {
        self.seq = seq
        self.id = id
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.peer = peer
        self.originalDestination = originalDestination
        self.cluster = cluster
        self.outcome = outcome
        self.reason = reason
        self.caller = caller
        self.callerAddress = callerAddress
        self.interface = interface
        self.tlsServerName = tlsServerName
        self.endReason = endReason
    }

    public var reference: RecordReference { .connection(id) }
    public var isRefused: Bool { outcome == "refused" }

    /// The address the caller connected from, without the port: the recorded caller address for
    /// bridge traffic, else the host part of the peer. This is what `sourceIPs` carries.
    public var sourceIP: String {
        if let callerAddress, !callerAddress.isEmpty { return HostPort.host(of: callerAddress) }
        return HostPort.host(of: peer)
    }
}

/// Splits `HOST:PORT` and `[IPv6]:PORT`.
enum HostPort {
    static func host(of address: String) -> String {
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { return address }
            return String(address[address.index(after: address.startIndex)..<close])
        }
        let colons = address.filter { $0 == ":" }.count
        guard colons == 1, let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon])
    }
}
