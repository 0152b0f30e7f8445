/// What a ``FleetTestbed`` test knows about one gateway while its configuration is being written:
/// enough to write a `central:` section for it and to prepare the central database for it.
public struct FleetGatewaySetup: Sendable {
    /// The gateway's host name in the fleet (`runner-a`, `runner-b`, ...).
    public let hostName: String
    /// Its position in ``FleetTestbed/gateways``.
    public let index: Int
    /// The agent host's address.
    public let address: String
    /// The gateway's work directory (mode 755; its configuration, state directory and store live here).
    public let workDirectory: String
    /// The uid `portcullis up` runs as.
    public let gatewayUID: UInt32
    /// The fleet's central database.
    public let postgres: PostgresCluster
    /// A copy of the central database's CA in the work directory, mode 0644: the gateway uid reads it.
    public let caFile: String

    public var postgresAddress: String { postgres.address }
    public var postgresPort: Int { postgres.port }

    /// A password file for this gateway (mode 0600, owned by the gateway uid).
    public func writePasswordFile(_ password: String) throws -> String {
        try postgres.writePasswordFile(password, owner: gatewayUID)
    }

    /// A client certificate with `CN=commonName` (the host name unless given), key mode 0600, both
    /// owned by the gateway uid.
    public func clientCertificate(commonName: String? = nil) throws -> (certificate: String, key: String) {
        try postgres.clientCertificate(commonName: commonName ?? hostName, owner: gatewayUID)
    }
}
