/// What makes a test PostgreSQL server what the fleet tests expect: TLS only, certificate login for
/// members of ``certificateLoginRole``, SCRAM passwords for everyone else, nothing in plaintext, and
/// nothing on the host's own socket directory or port.
public enum PostgresServerConfiguration {
    /// Roles that are members of this one log in with a client certificate whose CN is the role name.
    public static let certificateLoginRole = "portcullis_cert_login"

    /// `pg_hba.conf`; the first matching line decides. The last line rejects every TCP connection
    /// the lines above did not take: plaintext ones, and IPv6. The Unix socket (in the server's own
    /// directory, mode 0700: only root and `postgres` reach it) takes SCRAM passwords, for test
    /// processes outside the server's namespace (see ``PostgresCluster/socketDirectory``).
    public static let hostBasedAuthentication = """
        # Written by the Portcullis test harness (PostgresCluster). The first matching line decides.
        # TYPE   DATABASE  USER                     ADDRESS     METHOD
        local    all       all                                  scram-sha-256
        hostssl  all       +\(certificateLoginRole)   0.0.0.0/0   cert
        hostssl  all       all                      0.0.0.0/0   scram-sha-256
        host     all       all                      all         reject

        """

    /// Lines appended to `postgresql.conf`: listen on `address:port` only, keep the Unix socket in
    /// `socketDirectory` (never /var/run/postgresql, the host cluster's), serve TLS with `certificate`
    /// and `key`, and verify client certificates against `caCertificate`.
    public static func settings(address: String, port: Int, socketDirectory: String,
                                certificate: String, key: String, caCertificate: String) -> String {
        let values: [(String, String)] = [
            ("listen_addresses", quoted(address)),
            ("port", String(port)),
            ("unix_socket_directories", quoted(socketDirectory)),
            ("ssl", "on"),
            ("ssl_cert_file", quoted(certificate)),
            ("ssl_key_file", quoted(key)),
            ("ssl_ca_file", quoted(caCertificate)),
            ("password_encryption", quoted("scram-sha-256")),
            ("log_connections", "on"),
        ]
        return "\n# Added by the Portcullis test harness (PostgresCluster).\n"
            + values.map { "\($0.0) = \($0.1)\n" }.joined()
    }

    /// A string literal for postgresql.conf.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
