/// What the rules are rendered from: the API endpoints to steer, the gateway's identity and ports.
/// A plain value; the CLI fills it from the configuration file and ``validate()`` checks it.
public struct InterceptConfiguration: Sendable, Hashable {
    /// The numeric uid the gateway runs as: the only uid whose connections reach API servers directly.
    public var gatewayUID: UInt32
    /// The local port connections to API endpoints are redirected to.
    public var proxyPort: UInt16
    /// The NFQUEUE number of the fail-closed guard.
    public var queueNumber: UInt16
    /// Bridge interfaces (iptables patterns; `+` at the end is a wildcard) whose forwarded traffic is
    /// steered and guarded too.
    public var bridgeInterfaces: [String]
    public var endpoints: [EndpointSpec]
    public var backend: BackendChoice

    public static let defaultBridges = ["docker0", "br-+", "cni0"]

    public init(gatewayUID: UInt32, proxyPort: UInt16 = 15443, queueNumber: UInt16 = 4242,
                bridgeInterfaces: [String] = InterceptConfiguration.defaultBridges, endpoints: [EndpointSpec],
                backend: BackendChoice = .auto) {
        self.gatewayUID = gatewayUID
        self.proxyPort = proxyPort
        self.queueNumber = queueNumber
        self.bridgeInterfaces = bridgeInterfaces
        self.endpoints = endpoints
        self.backend = backend
    }

    /// Every problem with the configuration, each naming the field; empty when it is usable.
    public func problems() -> [String] {
        var problems: [String] = []
        if gatewayUID == 0 {
            problems.append("gateway.uid: 0 (root) cannot be the gateway's uid: every root process would bypass the gateway")
        }
        if proxyPort == 0 { problems.append("gateway.proxyPort: must be a port from 1 to 65535") }
        if endpoints.isEmpty { problems.append("clusters: at least one API endpoint is required") }
        for endpoint in endpoints where endpoint.port == proxyPort {
            problems.append("clusters.\(endpoint.cluster): endpoint \(endpoint) uses the gateway's own port \(proxyPort), which would redirect the gateway into itself")
        }
        for endpoint in endpoints where endpoint.port == 0 {
            problems.append("clusters.\(endpoint.cluster): endpoint \(endpoint) has port 0")
        }
        for bridge in bridgeInterfaces where !Self.isValidInterfacePattern(bridge) {
            problems.append("gateway.bridges: \(bridge.debugDescription) is not an interface name or pattern (up to 15 characters of letters, digits, '-', '_', '.', with an optional trailing '+')")
        }
        return problems
    }

    static func isValidInterfacePattern(_ name: String) -> Bool {
        let body = name.hasSuffix("+") ? name.dropLast() : Substring(name)
        guard !name.isEmpty, name.utf8.count <= 15, !body.contains("+") else { return false }
        return body.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }
}

/// One configured API endpoint: an IP literal or a host name, and a TCP port.
public struct EndpointSpec: Sendable, Hashable, CustomStringConvertible {
    public var cluster: String
    public var host: String
    public var port: UInt16

    public init(cluster: String, host: String, port: UInt16) {
        self.cluster = cluster
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `a.b.c.d:port` or `[v6]:port`.
    public init(cluster: String, parsing text: String) throws(EndpointParseError) {
        self.cluster = cluster
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":"),
                  let port = UInt16(text[text.index(close, offsetBy: 2)...]) else {
                throw EndpointParseError(text: text, message: "expected [IPv6]:PORT")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            self.port = port
        } else {
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                throw EndpointParseError(text: text, message: "expected HOST:PORT with a port from 1 to 65535")
            }
            host = String(text[..<colon])
            self.port = port
            guard !host.contains(":") else { throw EndpointParseError(text: text, message: "write an IPv6 address as [ADDRESS]:PORT") }
        }
        guard !host.isEmpty else { throw EndpointParseError(text: text, message: "the host is empty") }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct EndpointParseError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var message: String
    public var description: String { "endpoint \(text.debugDescription): \(message)" }
}

/// Which iptables backend holds the rules.
public enum BackendChoice: String, Sendable, Hashable, CaseIterable {
    /// Whichever already holds the host's rules (nft when neither does).
    case auto, nft, legacy
}
