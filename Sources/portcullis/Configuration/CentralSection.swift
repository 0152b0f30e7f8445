import Central
import Foundation
import Kube

/// `central:` — the central PostgreSQL store (docs/central.md). Without it nothing is shipped.
///
/// `hostName` may use `%H` (this machine's host name), `%m` (/etc/machine-id) and `%b` (the boot
/// id), as systemd's specifiers do, so one file serves a fleet of ephemeral runners whose host
/// names repeat.
enum CentralSection {
    static let fields: Set<String> = ["host", "port", "database", "user", "passwordFile", "clientCertificate", "clientKey", "caFile",
                                      "sslmode", "serverName", "hostName", "mode", "batchRows", "connections", "drainTimeout",
                                      "requiredTimeout", "pollInterval", "queryTimeout"]

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> CentralConfiguration {
        let fields = try value.mapping(allowed: fields)
        guard let host = try fields["host"]?.string(), !host.isEmpty else { throw value.error("host is required: the PostgreSQL server") }
        guard let user = try fields["user"]?.string(), !user.isEmpty else { throw value.error("user is required: the login role") }
        var hostName = HostNameSpecifiers.defaultTemplate
        if let v = fields["hostName"] { hostName = try v.string() }
        let expanded: String
        do {
            expanded = try HostNameSpecifiers.expand(hostName)
        } catch {
            throw (fields["hostName"] ?? value).error("\(error)")
        }
        var c = CentralConfiguration(host: host, user: user, hostName: expanded)
        if let v = fields["port"] { c.port = Int(try v.unsigned(UInt16.self, in: 1...UInt16.max)) }
        if let v = fields["database"] { c.database = try v.string() }
        if let v = fields["passwordFile"] { c.passwordFile = try absolutePath(v) }
        if let v = fields["clientCertificate"] { c.clientCertificate = try absolutePath(v) }
        if let v = fields["clientKey"] { c.clientKey = try absolutePath(v) }
        if let v = fields["caFile"] { c.caFile = try absolutePath(v) }
        if let v = fields["serverName"] { c.serverName = try v.string() }
        if let v = fields["sslmode"] {
            let text = try v.string()
            guard let mode = CentralSSLMode(rawValue: text) else {
                throw v.error("expected one of \(CentralSSLMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            c.sslMode = mode
        }
        if let v = fields["mode"] {
            let text = try v.string()
            guard let mode = CentralMode(rawValue: text) else {
                throw v.error("expected one of \(CentralMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            c.mode = mode
        }
        if let v = fields["batchRows"] { c.batchRows = Int(try v.unsigned(UInt32.self, in: 1...50_000)) }
        if let v = fields["connections"] { c.connections = Int(try v.unsigned(UInt16.self, in: 2...64)) }
        if let v = fields["drainTimeout"] { c.drainTimeout = try duration(v, in: .zero ... .seconds(3600)) }
        if let v = fields["requiredTimeout"] { c.requiredTimeout = try duration(v, in: .milliseconds(100) ... .seconds(300)) }
        if let v = fields["pollInterval"] { c.pollInterval = try duration(v, in: .milliseconds(100) ... .seconds(300)) }
        if let v = fields["queryTimeout"] { c.queryTimeout = try duration(v, in: .seconds(1) ... .seconds(600)) }
        guard (c.clientCertificate == nil) == (c.clientKey == nil) else {
            throw value.error("clientCertificate and clientKey go together")
        }
        guard c.passwordFile != nil || c.clientCertificate != nil else {
            throw value.error("give passwordFile (a file of mode 0600 holding the role's password), or clientCertificate and clientKey")
        }
        guard c.unixSocketPath != nil || c.sslMode == .disable || c.sslMode == .require || c.caFile != nil else {
            throw value.error("caFile is required with sslmode \(c.sslMode.rawValue): the CA that signed the server's certificate")
        }
        return c
    }

    /// The `central:` section of `path`, which may be a gateway configuration or a file holding only
    /// `central:` (a reviewer's machine needs nothing else).
    static func load(path: String) throws(ConfigurationError) -> CentralConfiguration {
        let root = try YAMLValue.load(path: path)
        let allowed = GatewayConfiguration.sections.union(["central"])
        let sections = try root.mapping(allowed: allowed)
        guard let central = sections["central"] else {
            throw ConfigurationError(file: path, line: nil, field: "central",
                                     message: "no central: section: the central store's connection is needed here (see docs/central.md)")
        }
        return try read(central)
    }

    private static func absolutePath(_ value: YAMLValue) throws(ConfigurationError) -> String {
        let path = try value.string()
        guard path.hasPrefix("/") else { throw value.error("expected an absolute path, got '\(path)'") }
        return path
    }

    private static func duration(_ value: YAMLValue, in range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration {
        let d = try value.duration()
        guard range.contains(d) else { throw value.error("expected from \(DurationWords.text(range.lowerBound)) to \(DurationWords.text(range.upperBound))") }
        return d
    }
}
