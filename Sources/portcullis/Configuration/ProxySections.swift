import Proxy

/// `tls:` — the gateway CA that signs the certificates agents see.
struct TLSSection {
    var caCertificate: String
    var caKey: String
    var certificateLifetime: Duration = .seconds(72 * 3600)

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> TLSSection {
        let fields = try value.mapping(allowed: ["caCertificate", "caKey", "certificateLifetime"])
        guard let certificate = fields["caCertificate"] else { throw value.error("caCertificate is required") }
        guard let key = fields["caKey"] else { throw value.error("caKey is required") }
        var section = TLSSection(caCertificate: try certificate.string(), caKey: try key.string())
        if let lifetime = fields["certificateLifetime"] { section.certificateLifetime = try lifetime.duration() }
        return section
    }
}

/// The upstream side of one `clusters:` entry.
struct ClusterSection {
    var name: String
    var serverNames: [String] = []
    var caFile: String?
    var tokenFile: String?
    var clientCertificate: String?
    var clientKey: String?
    /// Set when a gateway reaches the cluster through a relay (no credential of its own then).
    var relay: ClusterRelaySection?
}

extension AuthenticationConfiguration {
    /// `authentication:` — the token header and the trusted issuers, named like kube-apiserver's
    /// `--oidc-*` flags.
    static func read(_ value: YAMLValue) throws(ConfigurationError) -> AuthenticationConfiguration {
        let fields = try value.mapping(allowed: ["tokenHeader", "issuers"])
        guard let issuersNode = fields["issuers"] else { throw value.error("issuers is required: at least one OIDC issuer") }
        var issuers: [OIDCIssuerConfiguration] = []
        for node in try issuersNode.sequence() {
            issuers.append(try OIDCIssuerConfiguration.read(node))
        }
        var configuration = AuthenticationConfiguration(issuers: issuers)
        if let header = fields["tokenHeader"] { configuration.tokenHeader = try header.string() }
        return configuration
    }
}

extension OIDCIssuerConfiguration {
    static func read(_ value: YAMLValue) throws(ConfigurationError) -> OIDCIssuerConfiguration {
        let f = try value.mapping(allowed: ["issuerURL", "clientIDs", "usernameClaim", "usernamePrefix", "groupsClaim", "groupsPrefix",
                                            "requiredClaims", "extraClaims", "caFile", "signingAlgorithms", "clockSkew",
                                            "allowInsecureHTTPIssuer", "runClaims"])
        guard let url = f["issuerURL"] else { throw value.error("issuerURL is required (kube-apiserver's --oidc-issuer-url)") }
        guard let clients = f["clientIDs"] else { throw value.error("clientIDs is required: the audiences tokens must carry (--oidc-client-id)") }
        var issuer = OIDCIssuerConfiguration(issuerURL: try url.string(), audiences: try clients.strings())
        if let v = f["usernameClaim"] { issuer.usernameClaim = try v.string() }
        if let v = f["usernamePrefix"] { issuer.usernamePrefix = try v.string() }
        if let v = f["groupsClaim"] { issuer.groupsClaim = try v.string() }
        if let v = f["groupsPrefix"] { issuer.groupsPrefix = try v.string() }
        if let v = f["requiredClaims"] {
            var claims: [String: String] = [:]
            for (key, claim) in try v.anyMapping() { claims[key] = try claim.string() }
            issuer.requiredClaims = claims
        }
        if let v = f["extraClaims"] { issuer.extraClaims = try v.strings() }
        if let v = f["runClaims"] { issuer.runClaims = try v.strings() }
        if let v = f["caFile"] { issuer.caFile = try v.string() }
        if let v = f["signingAlgorithms"] { issuer.signingAlgorithms = try v.strings() }
        if let v = f["clockSkew"] { issuer.clockSkew = try v.duration() }
        if let v = f["allowInsecureHTTPIssuer"] { issuer.allowInsecureHTTPIssuer = try v.bool() }
        return issuer
    }
}

extension YAMLValue {
    func strings() throws(ConfigurationError) -> [String] {
        var out: [String] = []
        for item in try sequence() { out.append(try item.string()) }
        return out
    }

    func bool() throws(ConfigurationError) -> Bool {
        switch try string() {
        case "true": return true
        case "false": return false
        default: throw error("expected true or false")
        }
    }

    func duration() throws(ConfigurationError) -> Duration {
        let text = try string()
        guard let duration = DurationText.parse(text) else {
            throw error("expected a duration such as 30s, 5m or 72h, got '\(text)'")
        }
        return duration
    }

    /// A mapping whose keys are data, not field names (e.g. required claims).
    func anyMapping() throws(ConfigurationError) -> [(String, YAMLValue)] {
        guard case .mapping(let mapping) = node else { throw error("expected a mapping") }
        var out: [(String, YAMLValue)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw error("keys must be strings") }
            out.append((name, YAMLValue(node: value, path: "\(path).\(name)", file: file)))
        }
        return out
    }
}
