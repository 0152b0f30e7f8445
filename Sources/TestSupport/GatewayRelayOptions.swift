/// A testbed gateway whose cluster is reached through a relay (``RelayTestbed``): its cluster has
/// `relay:` instead of `caFile` and `tokenFile`, and its work directory holds no cluster credential,
/// only the files `portcullis relay enroll` made for it, under ``directory``.
public struct GatewayRelayOptions: Sendable {
    /// The relay's `HOST:PORT`.
    public var address: String
    /// The name the relay's certificate is checked against.
    public var serverName: String
    /// The gateway's name at the relay (its certificate's common name).
    public var name: String
    /// The directory, inside the gateway's work directory, holding `NAME.key`, `NAME.crt` and `relay-ca.crt`.
    public var directory = "relay"

    public init(address: String, serverName: String, name: String) {
        self.address = address
        self.serverName = serverName
        self.name = name
    }
}
