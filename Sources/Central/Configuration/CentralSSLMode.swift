/// How the connection to PostgreSQL is protected, named as libpq's `sslmode`.
public enum CentralSSLMode: String, Sendable, Hashable, CaseIterable {
    /// TLS; the server's certificate must chain to `caFile` and carry the server's name or address.
    case verifyFull = "verify-full"
    /// TLS; the server's certificate must chain to `caFile` (any name).
    case verifyCA = "verify-ca"
    /// TLS without checking the server's certificate: encrypted, but open to an impostor.
    case require
    /// No TLS: only for a server on the same host or a trusted network.
    case disable
}
