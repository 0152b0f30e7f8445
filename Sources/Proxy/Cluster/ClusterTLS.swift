import Intercept
import NIOSSL

/// The TLS the gateway speaks to an API server: TLS 1.2 or later, the server verified against the
/// cluster's CA, ALPN `http/1.1`, and the gateway's client certificate when that is its credential.
/// To a relay: verified against the relay's CA, the gateway's certificate from it, and ALPN naming
/// the cluster (``RelayProtocol``).
/// The forwarding path and `portcullis doctor --cluster` use the same configuration, so the check
/// sees the cluster as the proxy does.
enum ClusterTLS {
    static func configuration(for cluster: ClusterUpstream) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(cluster.trustRoots)
        tls.applicationProtocols = cluster.relay.map { [RelayProtocol.name(cluster: $0.cluster)] } ?? ["http/1.1"]
        if case .clientCertificate(let chain, let key) = cluster.credential {
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(key)
        }
        return tls
    }

    /// The name the server's certificate is checked against: the relay's server name for a cluster
    /// behind a relay, else the cluster's first DNS server name; nil (the IP address is checked)
    /// when there is none.
    static func serverHostname(for cluster: ClusterUpstream) -> String? {
        if let relay = cluster.relay { return relay.serverName.flatMap { IPAddress($0) == nil ? $0 : nil } }
        return cluster.serverNames.first { IPAddress($0) == nil }
    }
}
