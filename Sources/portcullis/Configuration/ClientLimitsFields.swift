import Kube
import Proxy

/// The client limits among the `gateway:` fields (docs/proxy.md, "Malformed and abusive clients").
extension ClientLimits {
    static let fieldNames: Set<String> = ["maxConnectionsPerCaller", "requestHeaderTimeout", "idleTimeout", "minRequestBodyRate"]

    static func read(gateway fields: [String: YAMLValue]) throws(ConfigurationError) -> ClientLimits {
        var limits = ClientLimits()
        if let v = fields["maxConnectionsPerCaller"] { limits.maxConnectionsPerCaller = Int(try v.unsigned(UInt32.self, in: 1...1_000_000)) }
        if let v = fields["requestHeaderTimeout"] { limits.requestHeaderTimeout = try v.duration(in: .seconds(1)...(.seconds(600))) }
        if let v = fields["idleTimeout"] { limits.idleTimeout = try v.duration(in: .seconds(1)...(.seconds(86_400))) }
        if let v = fields["minRequestBodyRate"] { limits.minRequestBodyRate = try v.byteSize(in: 0...(1 << 30)) }
        return limits
    }
}

extension YAMLValue {
    func duration(in range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration {
        let value = try duration()
        guard range.contains(value) else {
            throw error("expected from \(DurationWords.text(range.lowerBound)) to \(DurationWords.text(range.upperBound))")
        }
        return value
    }
}
