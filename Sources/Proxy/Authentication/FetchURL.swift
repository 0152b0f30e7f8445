/// An absolute `http` or `https` URL split into what an HTTP/1.1 GET needs.
///
/// Deliberately small: no user info, no relative references, no percent-decoding of the host.
struct FetchURL: Sendable, Hashable, CustomStringConvertible {
    var isHTTPS: Bool
    /// The host without brackets (`::1`, `127.0.0.1`, `issuer.example.com`).
    var host: String
    var port: Int
    /// Path and query, as sent in the request line (`/jwks?x=1`).
    var requestTarget: String
    var hasQuery: Bool
    var hasFragment: Bool
    let text: String

    var description: String { text }

    /// The `Host` header value: the host (bracketed when IPv6) and the port when it is not the default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (isHTTPS ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Whether the host is an IP literal, which TLS must not send as SNI.
    var hostIsIPAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    init(_ text: String) throws(FetchURLError) {
        self.text = text
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            isHTTPS = true
            rest = text.dropFirst(8)
        } else if lowered.hasPrefix("http://") {
            isHTTPS = false
            rest = text.dropFirst(7)
        } else {
            throw FetchURLError(url: text, problem: "is not an absolute http or https URL")
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = rest[authorityEnd...]
        hasFragment = target.contains("#")
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        hasQuery = target.contains("?")
        requestTarget = target.hasPrefix("/") ? String(target) : "/" + target
        guard !authority.contains("@") else { throw FetchURLError(url: text, problem: "must not contain user info") }
        (host, port) = try Self.splitAuthority(authority, defaultPort: isHTTPS ? 443 : 80, url: text)
    }

    private static func splitAuthority(_ authority: Substring, defaultPort: Int,
                                       url: String) throws(FetchURLError) -> (String, Int) {
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw FetchURLError(url: url, problem: "has an unterminated IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw FetchURLError(url: url, problem: "has a malformed host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw FetchURLError(url: url, problem: "has no host") }
        guard let portPart else { return (String(hostPart), defaultPort) }
        guard let port = Int(portPart), (1...65_535).contains(port) else {
            throw FetchURLError(url: url, problem: "has an invalid port")
        }
        return (String(hostPart), port)
    }

    /// `base` with `suffix` appended to its path, as OIDC discovery does with the issuer URL
    /// (one trailing slash of the issuer is dropped first).
    static func appending(_ suffix: String, to base: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + suffix
    }
}

/// A URL ``FetchURL`` cannot use, and why.
struct FetchURLError: Error, Sendable, Hashable, CustomStringConvertible {
    var url: String
    var problem: String
    var description: String { "\(url) \(problem)" }
}
