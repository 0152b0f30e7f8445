import Central
import Intercept
import Proxy

/// The gateway's configuration file (YAML; see examples/portcullis.yaml). Each module gets its own
/// plain configuration value from it. Only `gateway` and the clusters' endpoints are needed for the
/// rules; `portcullis up` also needs `tls`, `authentication` and each cluster's upstream settings.
///
/// A relay's configuration (examples/relay.yaml) has `relay:` instead of `gateway:` (``relay``):
/// the same sections otherwise, read the same way, so `sessions`, `show`, `verify`, `pending` and
/// the other commands that read a record work on a relay host as on a runner. Commands that only
/// make sense on one of the two refuse the other's file, saying so.
struct GatewayConfiguration {
    var path: String
    var intercept: InterceptConfiguration
    var clusterNames: [String]
    var clusters: [ClusterSection] = []
    var listenAddresses: [String] = []
    var stateDirectory = "/var/lib/portcullis"
    /// How often the tamper watch re-verifies the rules (and restores them on drift).
    var tamperInterval: Duration = .seconds(1)
    /// What one client may take of the proxy (header size, timeouts, body rate, connections).
    var clientLimits = ClientLimits()
    var tls: TLSSection?
    var authentication: AuthenticationConfiguration?
    var store = StoreSection()
    var policy: PolicySection?
    var admin = AdminSection()
    var metrics = MetricsSection()
    var logging = LoggingSection()
    /// The central store; nil: nothing is shipped (docs/central.md).
    var central: CentralConfiguration?
    /// Set for a relay's configuration (`relay:` instead of `gateway:`); `intercept` then holds
    /// only the relay's uid and its clusters' API endpoints.
    var relay: RelaySection?

    /// The top-level sections a gateway (or relay) configuration may have.
    static let sections: Set<String> = ["gateway", "relay", "clusters", "tls", "authentication", "store", "policy", "admin", "metrics",
                                        "logging", "central"]

    var isRelay: Bool { relay != nil }

    /// The admin socket.
    var adminSocketPath: String { admin.socket ?? stateDirectory + "/admin/admin.sock" }

    /// The recording's SQLite file.
    var storePath: String { store.path ?? stateDirectory + "/recording.sqlite" }

    static func load(path: String) throws(ConfigurationError) -> GatewayConfiguration {
        try read(YAMLValue.load(path: path), path: path)
    }

    /// Reads a configuration from its text, as if from `file` (touches no file system).
    static func parse(_ text: String, file: String) throws(ConfigurationError) -> GatewayConfiguration {
        try read(YAMLValue.parse(text, file: file), path: file)
    }

    private static func read(_ document: YAMLValue, path: String) throws(ConfigurationError) -> GatewayConfiguration {
        let root = try document.mapping(allowed: sections)
        guard let clustersNode = root["clusters"] else {
            throw ConfigurationError(file: path, line: nil, field: "clusters", message: "required section is missing")
        }
        if let relayNode = root["relay"] {
            guard root["gateway"] == nil else {
                throw ConfigurationError(file: path, line: nil, field: "relay",
                                         message: "a configuration is a gateway's (gateway:) or a relay's (relay:), not both")
            }
            let relay = try RelaySection.read(relayNode)
            let (endpoints, clusters) = try readClusters(clustersNode, allowsRelay: false)
            guard !endpoints.isEmpty else {
                throw ConfigurationError(file: path, line: nil, field: "clusters", message: "at least one API endpoint is required")
            }
            var configuration = GatewayConfiguration(path: path, intercept: InterceptConfiguration(gatewayUID: relay.uid, endpoints: endpoints),
                                                     clusterNames: clusters.map(\.name), clusters: clusters)
            configuration.relay = relay
            configuration.stateDirectory = relay.stateDirectory
            configuration.clientLimits = relay.clientLimits
            try readShared(root, into: &configuration)
            return configuration
        }
        guard let gatewayNode = root["gateway"] else {
            throw ConfigurationError(file: path, line: nil, field: "gateway",
                                     message: "required section is missing (or relay:, for a relay's configuration)")
        }
        let gateway = try gatewayNode.mapping(allowed: Set(["uid", "proxyPort", "queue", "bridges", "iptablesBackend", "listenAddresses",
                                                             "stateDirectory", "tamperInterval"]).union(ClientLimits.fieldNames))
        guard let uidNode = gateway["uid"] else { throw gatewayNode.error("uid is required: the numeric uid the gateway runs as") }
        var intercept = InterceptConfiguration(gatewayUID: try uidNode.unsigned(UInt32.self, in: 1...UInt32.max), endpoints: [])
        if let port = gateway["proxyPort"] { intercept.proxyPort = try port.unsigned(UInt16.self, in: 1...UInt16.max) }
        if let queue = gateway["queue"] { intercept.queueNumber = try queue.unsigned(UInt16.self, in: 0...UInt16.max) }
        if let bridges = gateway["bridges"] { intercept.bridgeInterfaces = try bridges.sequence().map { (v) throws(ConfigurationError) in try v.string() } }
        if let backend = gateway["iptablesBackend"] {
            let text = try backend.string()
            guard let choice = BackendChoice(rawValue: text) else {
                throw backend.error("expected one of \(BackendChoice.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            intercept.backend = choice
        }
        let (endpoints, sections) = try readClusters(clustersNode, allowsRelay: true)
        intercept.endpoints = endpoints
        if let problem = intercept.problems().first {
            throw ConfigurationError(file: path, line: nil, field: "", message: problem)
        }
        var configuration = GatewayConfiguration(path: path, intercept: intercept, clusterNames: sections.map(\.name), clusters: sections)
        if let v = gateway["listenAddresses"] { configuration.listenAddresses = try v.strings() }
        if let v = gateway["stateDirectory"] { configuration.stateDirectory = try v.string() }
        if let v = gateway["tamperInterval"] {
            configuration.tamperInterval = try v.duration()
            guard configuration.tamperInterval >= .milliseconds(100), configuration.tamperInterval <= .seconds(3600) else {
                throw v.error("expected from 100ms to 1h")
            }
        }
        configuration.clientLimits = try ClientLimits.read(gateway: gateway)
        try readShared(root, into: &configuration)
        return configuration
    }

    /// The sections gateways and relays share.
    private static func readShared(_ root: [String: YAMLValue], into configuration: inout GatewayConfiguration) throws(ConfigurationError) {
        if let v = root["tls"] { configuration.tls = try TLSSection.read(v) }
        if let v = root["authentication"] { configuration.authentication = try AuthenticationConfiguration.read(v) }
        if let v = root["store"] { configuration.store = try StoreSection.read(v) }
        if let v = root["policy"] { configuration.policy = try PolicySection.read(v) }
        if let v = root["admin"] { configuration.admin = try AdminSection.read(v) }
        if let v = root["metrics"] { configuration.metrics = try MetricsSection.read(v) }
        if let v = root["logging"] { configuration.logging = try LoggingSection.read(v) }
        if let v = root["central"] { configuration.central = try CentralSection.read(v) }
    }
}
