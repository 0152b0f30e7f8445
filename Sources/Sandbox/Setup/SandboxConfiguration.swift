/// How to run the sandbox cluster; the `portcullis-sandbox apiserver` options map onto it.
public struct SandboxConfiguration: Sendable {
    public var listen: [(host: String, port: Int)] = [("127.0.0.1", 6443)]
    public var dataDirectory: String
    public var tokenFile: String?
    public var impersonators: [String] = []
    public var serverNames: [String] = []
    public var kubeconfigPath: String?
    public var kubeconfigUser = "admin"
    public var auditLogPath: String?
    public var kubernetesVersion = "v1.32.5"
    public var logIntervalMilliseconds = 1000
    /// `--rules-file`: what SelfSubjectRulesReview reports per user (``SandboxRules``).
    public var rulesFile: String?

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    var resolvedKubeconfigPath: String { kubeconfigPath ?? dataDirectory + "/kubeconfig" }
    var resolvedAuditLogPath: String { auditLogPath ?? dataDirectory + "/audit.log" }
    var resolvedTokenFile: String { tokenFile ?? dataDirectory + "/tokens.csv" }

    /// Parses `HOST:PORT`, `[V6]:PORT` or a bare IPv6 literal with a port after the last colon.
    public static func parseListenAddress(_ text: String) -> (host: String, port: Int)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65535).contains(port), !host.isEmpty else { return nil }
            return (host, port)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty, !host.contains(":") else { return nil }
        return (host, port)
    }
}
