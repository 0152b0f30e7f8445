import Intercept

/// The gateway's configuration file (YAML; see examples/portcullis.yaml). Each module gets its own
/// plain configuration value from it.
struct GatewayConfiguration {
    var intercept: InterceptConfiguration
    var clusterNames: [String]

    static func load(path: String) throws(ConfigurationError) -> GatewayConfiguration {
        let root = try YAMLValue.load(path: path).mapping(allowed: ["gateway", "clusters"])
        guard let gatewayNode = root["gateway"] else {
            throw ConfigurationError(file: path, line: nil, field: "gateway", message: "required section is missing")
        }
        guard let clustersNode = root["clusters"] else {
            throw ConfigurationError(file: path, line: nil, field: "clusters", message: "required section is missing")
        }
        let gateway = try gatewayNode.mapping(allowed: ["uid", "proxyPort", "queue", "bridges", "iptablesBackend"])
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
        for cluster in try clustersNode.sequence() {
            let fields = try cluster.mapping(allowed: ["name", "endpoints"])
            guard let name = try fields["name"]?.string(), !name.isEmpty else { throw cluster.error("name is required") }
            guard !names.contains(name) else { throw cluster.error("the cluster name '\(name)' is used twice") }
            names.append(name)
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
        return GatewayConfiguration(intercept: intercept, clusterNames: names)
    }
}
