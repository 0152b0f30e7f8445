import Intercept

/// `metrics:` — where Prometheus scrapes the gateway (`GET /metrics`). Loopback only: the
/// metrics name users, namespaces and clusters.
struct MetricsSection: Equatable {
    /// `nil` turns the endpoint off.
    var host: String? = "127.0.0.1"
    var port = 9464

    static func read(_ value: YAMLValue) throws(ConfigurationError) -> MetricsSection {
        let fields = try value.mapping(allowed: ["listen"])
        guard let v = fields["listen"] else { return MetricsSection() }
        let text = try v.string()
        if text == "off" { return MetricsSection(host: nil) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw v.error("expected HOST:PORT on loopback, such as 127.0.0.1:9464 or [::1]:9464, or off; got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let address = IPAddress(host), address.isLoopback else {
            throw v.error("the metrics endpoint listens on loopback only (127.0.0.0/8 or ::1), not '\(host)'")
        }
        return MetricsSection(host: host, port: port)
    }
}
