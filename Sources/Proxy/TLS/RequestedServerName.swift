/// The host name a client asked for in its TLS ClientHello (SNI), as far as the gateway will put it
/// in a certificate.
///
/// Invariant: only a plain DNS host name passes (RFC 6066 §3: "HostName" is a DNS host name, not an
/// IP literal): letters, digits, hyphens and dots, labels of 1 to 63 characters, at most 253 in all,
/// no wildcard label, and a last label that is not all digits (no top-level domain is, RFC 3696 §2,
/// so `10.0.0.1.` is refused rather than taken for a name). It is lowercased and a trailing dot is
/// dropped, so one name is one cache entry.
enum RequestedServerName {
    /// The name as the certificate would carry it, or nil when it is not a valid host name.
    static func parse(_ text: String) -> ServingName? {
        guard !text.isEmpty, text.utf8.count <= 254, !text.contains("*"),
              case .dns(let name)? = try? ServingName(text),
              let last = name.split(separator: ".").last,
              !last.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return .dns(name)
    }
}
