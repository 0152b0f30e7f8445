/// How one gateway of a testbed is configured and run (see ``GatewayInstance``). The defaults are
/// what ``GatewayTestbed/with(caMode:logIntervalMilliseconds:storeBytes:commitDelay:policy:gatewayEnvironment:extraIssuers:tamperInterval:_:)``
/// uses when a test does not say otherwise.
public struct GatewayOptions: Sendable {
    /// Where the gateway CA comes from.
    public var caMode: GatewayTestbed.CAMode
    /// With a size, the store lives on a tmpfs of that many bytes (``GatewayInstance/storeDisk``).
    public var storeBytes: Int?
    /// The store's group-commit window.
    public var commitDelay: String
    /// The policy file's first contents.
    public var policy: String
    /// Variables added to the test runner's environment for `portcullis up`.
    public var environment: [String: String]
    /// More plain-http issuers, with the username prefix `extra:`.
    public var extraIssuers: [String]
    /// How often the gateway checks its rules.
    public var tamperInterval: String
    /// Further `gateway:` fields, e.g. `["maxConnectionsPerCaller": "8"]`.
    public var gatewayFields: [String: String]
    /// `store.durability` (`process` or `host`); nil: the default.
    public var storeDurability: String?
    /// Further `store:` fields, e.g. `["runIdle": "2s"]`.
    public var storeFields: [String: String]
    /// The address the issuers listen on (plain http): loopback, or the agent host's own address
    /// when a relay on another host must reach them too.
    public var issuerHost = "127.0.0.1"
    /// Set when the cluster is reached through a relay.
    public var relay: GatewayRelayOptions?

    public init(caMode: GatewayTestbed.CAMode = .generated, storeBytes: Int? = nil, commitDelay: String = "2ms",
                policy: String = GatewayTestbed.allowEverything, environment: [String: String] = [:],
                extraIssuers: [String] = [], tamperInterval: String = "1s", gatewayFields: [String: String] = [:],
                storeDurability: String? = nil, storeFields: [String: String] = [:]) {
        self.caMode = caMode
        self.storeBytes = storeBytes
        self.commitDelay = commitDelay
        self.policy = policy
        self.environment = environment
        self.extraIssuers = extraIssuers
        self.tamperInterval = tamperInterval
        self.gatewayFields = gatewayFields
        self.storeDurability = storeDurability
        self.storeFields = storeFields
    }
}
