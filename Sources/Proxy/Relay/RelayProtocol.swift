/// How a gateway names the cluster a relay connection serves: as the TLS application protocol
/// (ALPN) `portcullis-relay/v1/NAME`. Each connection serves one cluster, fixed by the handshake
/// before any request is read, as a gateway's connection is fixed by its original destination;
/// ALPN names services the same way in Teleport's ALPN router. The relay accepts exactly one such
/// protocol per cluster it serves, so a name it does not serve negotiates nothing and is refused.
public enum RelayProtocol {
    static let prefix = "portcullis-relay/v1/"
    /// ALPN protocol names are at most 255 bytes.
    public static let maximumClusterNameBytes = 255 - prefix.utf8.count

    /// The protocol naming `cluster`.
    public static func name(cluster: String) -> String { prefix + cluster }

    /// The cluster a negotiated protocol names, or nil for any other protocol (or none).
    public static func cluster(negotiated: String?) -> String? {
        guard let negotiated, negotiated.hasPrefix(prefix) else { return nil }
        let name = String(negotiated.dropFirst(prefix.count))
        return name.isEmpty ? nil : name
    }
}
