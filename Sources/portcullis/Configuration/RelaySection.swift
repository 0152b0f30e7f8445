import Intercept
import Proxy

/// `relay:`, the top section of a relay's configuration (docs/relay.md; examples/relay.yaml), in
/// place of a gateway's `gateway:`. The rest of the file is a gateway's: `clusters` (with each
/// API server's CA and the relay's own credential), `tls` (the relay's CA: it signs the gateways'
/// client certificates and the relay's serving certificate), `authentication`, `store`, `policy`,
/// `admin`, `metrics`, `logging` and `central`.
struct RelaySection {
    /// The numeric uid `portcullis relay` runs as; its credential files are that uid's alone.
    var uid: UInt32
    /// Where gateways connect: `ADDRESS:PORT` (an IP literal; `0.0.0.0` or `[::]` for every address).
    var listen: [SocketEndpoint]
    /// The names (DNS names or IPs) gateways dial the relay by: in its serving certificate.
    var serverNames: [String]
    var stateDirectory = "/var/lib/portcullis-relay"
    /// The relay's clients are gateways, each pooling connections for many agents: more per caller.
    var clientLimits = ClientLimits(maxConnectionsPerCaller: 1024)

    static let fields: Set<String> = Set(["uid", "listen", "serverNames", "stateDirectory"]).union(ClientLimits.fieldNames)

    /// The enrolled gateways (``GatewayRegistry``).
    var registryPath: String { stateDirectory + "/gateways.json" }

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> RelaySection {
        let fields = try value.mapping(allowed: Self.fields)
        guard let uidNode = fields["uid"] else { throw value.error("uid is required: the numeric uid the relay runs as") }
        let uid = try uidNode.unsigned(UInt32.self, in: 1...UInt32.max)
        guard let listenNode = fields["listen"] else { throw value.error("listen is required: ADDRESS:PORT where gateways connect") }
        var listen: [SocketEndpoint] = []
        for item in try listenNode.sequence() {
            let text = try item.string()
            let spec: EndpointSpec
            do {
                spec = try EndpointSpec(cluster: "", parsing: text)
            } catch {
                throw item.error(error.description)
            }
            guard let address = IPAddress(spec.host) else { throw item.error("'\(text)': listen on an IP address (0.0.0.0:PORT for every one)") }
            listen.append(SocketEndpoint(address, port: spec.port))
        }
        guard !listen.isEmpty else { throw listenNode.error("at least one ADDRESS:PORT is required") }
        guard let namesNode = fields["serverNames"] else {
            throw value.error("serverNames is required: the names (or IPs) gateways use for the relay, put in its certificate")
        }
        let names = try namesNode.strings()
        guard !names.isEmpty else { throw namesNode.error("at least one name is required") }
        for name in names where (try? ServingName(name)) == nil {
            throw namesNode.error("'\(name)' is not a DNS name or an IP address")
        }
        var section = RelaySection(uid: uid, listen: listen, serverNames: names)
        if let v = fields["stateDirectory"] { section.stateDirectory = try v.string() }
        var limits = try ClientLimits.read(gateway: fields)
        if fields["maxConnectionsPerCaller"] == nil { limits.maxConnectionsPerCaller = section.clientLimits.maxConnectionsPerCaller }
        section.clientLimits = limits
        return section
    }
}

/// `clusters[].relay:` in a gateway's configuration: the cluster is reached through a relay, which
/// holds its credential; the gateway holds only its own client certificate from the relay's CA.
struct ClusterRelaySection {
    /// `HOST:PORT` of the relay.
    var address: String
    var host: String
    var port: UInt16
    /// The name the relay's certificate is checked against; the host of `address` by default.
    var serverName: String
    /// The relay's CA (from `portcullis relay enroll`).
    var caFile: String
    var clientCertificate: String
    var clientKey: String
    /// The cluster's name at the relay; the gateway's own name for it by default.
    var cluster: String

    static func read(_ value: YAMLValue, clusterName: String) throws(ConfigurationError) -> ClusterRelaySection {
        let f = try value.mapping(allowed: ["address", "serverName", "caFile", "clientCertificate", "clientKey", "cluster"])
        guard let addressNode = f["address"] else { throw value.error("address is required: the relay's HOST:PORT") }
        let address = try addressNode.string()
        let spec: EndpointSpec
        do {
            spec = try EndpointSpec(cluster: clusterName, parsing: address)
        } catch {
            throw addressNode.error(error.description)
        }
        guard let ca = f["caFile"] else { throw value.error("caFile is required: the relay's CA (relay-ca.crt from portcullis relay enroll)") }
        guard let certificate = f["clientCertificate"], let key = f["clientKey"] else {
            throw value.error("clientCertificate and clientKey are required: this gateway's certificate and key from portcullis relay enroll")
        }
        let cluster = try f["cluster"]?.string() ?? clusterName
        guard !cluster.isEmpty, cluster.utf8.count <= RelayProtocol.maximumClusterNameBytes else {
            throw value.error("the cluster's name at the relay must have 1 to \(RelayProtocol.maximumClusterNameBytes) bytes")
        }
        return ClusterRelaySection(address: address, host: spec.host, port: spec.port, serverName: try f["serverName"]?.string() ?? spec.host,
                                   caFile: try ca.string(), clientCertificate: try certificate.string(), clientKey: try key.string(),
                                   cluster: cluster)
    }
}
