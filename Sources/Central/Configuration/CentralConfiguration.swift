/// Where and how a gateway ships its record to the central PostgreSQL store, and how reviewers and
/// operators reach it (the `central:` section; see docs/central.md). A plain value: the CLI fills
/// it from the configuration file and hands it to ``CentralConnector``.
public struct CentralConfiguration: Sendable, Hashable {
    /// The PostgreSQL server: a name or address, or (as libpq reads it) an absolute path naming the
    /// directory of a server's Unix socket on this machine, where TLS does not apply.
    public var host: String
    public var port: Int = 5432
    public var database: String = "portcullis"
    /// The login role.
    public var user: String
    /// A file holding the role's password (mode 0600, owned by whoever runs portcullis); nil with
    /// a client certificate.
    public var passwordFile: String?
    /// A client certificate and its key (PEM) for certificate authentication.
    public var clientCertificate: String?
    public var clientKey: String?
    /// The CA that signed the server's certificate (PEM); required unless `sslMode` is `disable`.
    public var caFile: String?
    public var sslMode: CentralSSLMode = .verifyFull
    /// The name the server's certificate must carry with `verify-full`, when it is not `host`.
    public var serverName: String?
    /// Names this gateway's rows everywhere; unique per gateway (docs/central.md says how).
    public var hostName: String
    public var mode: CentralMode = .async
    /// Rows per shipment, at most.
    public var batchRows: Int = 2_000
    /// Bytes per shipment, at most (one row larger than this still ships alone).
    public var batchBytes: Int = 16 << 20
    /// PostgreSQL connections: shipping, notifications and reviews share them.
    public var connections: Int = 4
    /// How long `portcullis up` keeps shipping after SIGTERM before it says what is left.
    public var drainTimeout: Duration = .seconds(10)
    /// In `required` mode, how long a request waits for its record to reach PostgreSQL before it
    /// is refused with 503.
    public var requiredTimeout: Duration = .seconds(5)
    /// How often decisions and grants are polled for, in case a notification was lost.
    public var pollInterval: Duration = .seconds(2)
    /// How long one shipment or query may take before the connection counts as broken.
    public var queryTimeout: Duration = .seconds(10)

    public init(host: String, user: String, hostName: String) {
        self.host = host
        self.user = user
        self.hostName = hostName
    }

    /// The Unix socket, when `host` is a directory.
    public var unixSocketPath: String? { host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil }

    /// "postgresql://runner-a@198.18.0.4:5432/portcullis", for messages (never a password).
    public var endpointDescription: String {
        if let socket = unixSocketPath { return "postgresql://\(user)@[\(socket)]/\(database)" }
        let address = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(address):\(port)/\(database)"
    }
}
