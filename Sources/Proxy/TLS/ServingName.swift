import Intercept

/// A name a serving certificate is valid for: a DNS name or an IP address.
///
/// Invariants: a `.dns` name is lowercase, has no trailing dot, is at most 253 characters, and
/// consists of labels of 1 to 63 letters, digits and hyphens (not starting or ending with a hyphen);
/// only the first label may be `*`. An IPv4-mapped IPv6 address is held as the IPv4 address.
public enum ServingName: Sendable, Hashable, Comparable, CustomStringConvertible {
    case dns(String)
    case ip(IPAddress)

    /// Parses a configured server name: an IP literal becomes `.ip`, anything else must be a valid
    /// DNS name (compared case-insensitively, so it is lowercased; a trailing dot is dropped).
    public init(_ text: String) throws(TLSCertificateError) {
        if let address = IPAddress(text) {
            self = .ip(address.unmappedIPv4 ?? address)
            return
        }
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard Self.isValidDNSName(name) else {
            throw TLSCertificateError(.invalidServerName,
                "the server name \"\(text)\" is neither an IP address nor a valid DNS name")
        }
        self = .dns(name)
    }

    /// `address`, with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) taken as the IPv4 address
    /// the client dialled.
    public init(_ address: IPAddress) {
        self = .ip(address.unmappedIPv4 ?? address)
    }

    static func isValidDNSName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label == "*", index == 0, labels.count > 1 { continue }
            guard (1...63).contains(label.utf8.count),
                  label.utf8.allSatisfy({ isLetterOrDigit($0) || $0 == UInt8(ascii: "-") }),
                  label.utf8.first != UInt8(ascii: "-"), label.utf8.last != UInt8(ascii: "-")
            else { return false }
        }
        return true
    }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    public var description: String {
        switch self {
        case .dns(let name): name
        case .ip(let address): address.description
        }
    }

    /// DNS names first (alphabetically), then addresses (IPv4 before IPv6).
    public static func < (lhs: ServingName, rhs: ServingName) -> Bool {
        switch (lhs, rhs) {
        case (.dns(let l), .dns(let r)): l < r
        case (.ip(let l), .ip(let r)): l < r
        case (.dns, .ip): true
        case (.ip, .dns): false
        }
    }
}
