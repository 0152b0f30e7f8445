import Central
import Intercept
import Proxy

/// The gateway's configuration file (YAML; see examples/portcullis.yaml). Each module gets its own
/// plain configuration value from it. Only `gateway` and the clusters' endpoints are needed for the
/// rules; `portcullis up` also needs `tls`, `authentication` and each cluster's upstream settings.
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

    /// The top-level sections a gateway configuration may have.
    static let sections: Set<String> = ["gateway", "clusters", "tls", "authentication", "store", "policy", "admin", "metrics",
                                        "logging", "central"]

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
        guard let gatewayNode = root["gateway"] else {
            throw ConfigurationError(file: path, line: nil, field: "gateway", message: "required section is missing")
        }
        guard let clustersNode = root["clusters"] else {
            throw ConfigurationError(file: path, line: nil, field: "clusters", message: "required section is missing")
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
        var names: [String] = []
        var sections: [ClusterSection] = []
        for cluster in try clustersNode.sequence() {
            let fields = try cluster.mapping(allowed: ["name", "endpoints", "serverNames", "caFile", "tokenFile", "clientCertificate",
                                                       "clientKey"])
            guard let name = try fields["name"]?.string(), !name.isEmpty else { throw cluster.error("name is required") }
            guard !names.contains(name) else { throw cluster.error("the cluster name '\(name)' is used twice") }
            names.append(name)
            var section = ClusterSection(name: name)
            if let v = fields["serverNames"] { section.serverNames = try v.strings() }
            if let v = fields["caFile"] { section.caFile = try v.string() }
            if let v = fields["tokenFile"] { section.tokenFile = try v.string() }
            if let v = fields["clientCertificate"] { section.clientCertificate = try v.string() }
            if let v = fields["clientKey"] { section.clientKey = try v.string() }
            if section.tokenFile != nil, section.clientCertificate != nil {
                throw cluster.error("give either tokenFile or clientCertificate and clientKey, not both")
            }
            if (section.clientCertificate == nil) != (section.clientKey == nil) {
                throw cluster.error("clientCertificate and clientKey go together")
            }
            sections.append(section)
            guard let endpoints = fields["endpoints"] else { throw cluster.error("endpoints are required") }
            for endpoint in try endpoints.sequence() {
                do {
                    intercept.endpoints.append(try EndpointSpec(cluster: name, parsing: try endpoint.string()))
                } catch let error as EndpointParseError {
                    throw endpoint.error(error.description)
                } catch let error as ConfigurationError {
                    throw error
                } catch {
                    throw endpoint.error("\(error)")
                }
            }
        }
        if let problem = intercept.problems().first {
            throw ConfigurationError(file: path, line: nil, field: "", message: problem)
        }
        var configuration = GatewayConfiguration(path: path, intercept: intercept, clusterNames: names, clusters: sections)
        if let v = gateway["listenAddresses"] { configuration.listenAddresses = try v.strings() }
        if let v = gateway["stateDirectory"] { configuration.stateDirectory = try v.string() }
        if let v = gateway["tamperInterval"] {
            configuration.tamperInterval = try v.duration()
            guard configuration.tamperInterval >= .milliseconds(100), configuration.tamperInterval <= .seconds(3600) else {
                throw v.error("expected from 100ms to 1h")
            }
        }
        configuration.clientLimits = try ClientLimits.read(gateway: gateway)
        if let v = root["tls"] { configuration.tls = try TLSSection.read(v) }
        if let v = root["authentication"] { configuration.authentication = try AuthenticationConfiguration.read(v) }
        if let v = root["store"] { configuration.store = try StoreSection.read(v) }
        if let v = root["policy"] { configuration.policy = try PolicySection.read(v) }
        if let v = root["admin"] { configuration.admin = try AdminSection.read(v) }
        if let v = root["metrics"] { configuration.metrics = try MetricsSection.read(v) }
        if let v = root["logging"] { configuration.logging = try LoggingSection.read(v) }
        if let v = root["central"] { configuration.central = try CentralSection.read(v) }
        return configuration
    }
}
