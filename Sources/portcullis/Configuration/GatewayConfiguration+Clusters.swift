import Intercept
import Proxy

extension GatewayConfiguration {
    /// `clusters:`, the same for gateways and relays, except that only a gateway's cluster may be
    /// reached through a relay (`allowsRelay`). A cluster behind a relay holds no credential here:
    /// its `caFile`, `tokenFile`, `clientCertificate` and `clientKey` are refused, naming them.
    static func readClusters(_ node: YAMLValue, allowsRelay: Bool) throws(ConfigurationError) -> ([EndpointSpec], [ClusterSection]) {
        var endpoints: [EndpointSpec] = []
        var sections: [ClusterSection] = []
        var allowed: Set<String> = ["name", "endpoints", "serverNames", "caFile", "tokenFile", "clientCertificate", "clientKey"]
        if allowsRelay { allowed.insert("relay") }
        for cluster in try node.sequence() {
            let fields: [String: YAMLValue]
            do {
                fields = try cluster.mapping(allowed: allowed)
            } catch {
                if !allowsRelay, error.field.hasSuffix(".relay") {
                    throw cluster.error("a relay's own clusters are reached directly: give caFile and the relay's credential, not relay")
                }
                throw error
            }
            guard let name = try fields["name"]?.string(), !name.isEmpty else { throw cluster.error("name is required") }
            guard !sections.contains(where: { $0.name == name }) else { throw cluster.error("the cluster name '\(name)' is used twice") }
            if !allowsRelay, name.utf8.count > RelayProtocol.maximumClusterNameBytes {
                throw cluster.error("a relay's cluster name has at most \(RelayProtocol.maximumClusterNameBytes) bytes (gateways name it when they connect)")
            }
            var section = ClusterSection(name: name)
            if let v = fields["serverNames"] { section.serverNames = try v.strings() }
            if let v = fields["caFile"] { section.caFile = try v.string() }
            if let v = fields["tokenFile"] { section.tokenFile = try v.string() }
            if let v = fields["clientCertificate"] { section.clientCertificate = try v.string() }
            if let v = fields["clientKey"] { section.clientKey = try v.string() }
            if let v = fields["relay"] {
                let direct = ["caFile", "tokenFile", "clientCertificate", "clientKey"].filter { fields[$0] != nil }
                guard direct.isEmpty else {
                    throw cluster.error("a cluster reached through a relay holds no credential of its own: remove \(direct.joined(separator: ", ")) (the relay has the cluster's CA and credential)")
                }
                section.relay = try ClusterRelaySection.read(v, clusterName: name)
            }
            if section.tokenFile != nil, section.clientCertificate != nil {
                throw cluster.error("give either tokenFile or clientCertificate and clientKey, not both")
            }
            if (section.clientCertificate == nil) != (section.clientKey == nil) {
                throw cluster.error("clientCertificate and clientKey go together")
            }
            sections.append(section)
            guard let list = fields["endpoints"] else { throw cluster.error("endpoints are required") }
            for endpoint in try list.sequence() {
                do {
                    endpoints.append(try EndpointSpec(cluster: name, parsing: try endpoint.string()))
                } catch let error as EndpointParseError {
                    throw endpoint.error(error.description)
                } catch let error as ConfigurationError {
                    throw error
                } catch {
                    throw endpoint.error("\(error)")
                }
            }
        }
        return (endpoints, sections)
    }
}
