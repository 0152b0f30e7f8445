import Kube

/// What the recording never stores. On by default.
public struct RedactionConfiguration: Sendable, Hashable {
    /// What a redacted value becomes.
    public static let placeholder = ProtobufSecrets.placeholder

    /// Header names (any case) whose values are replaced, in requests and responses.
    public var headers: [String]
    /// The header the agent's token arrives in; always redacted when set.
    public var tokenHeader: String?
    /// Replace every value of `data` and `stringData` of v1 Secrets in every body and event.
    public var secrets: Bool

    public init(headers: [String] = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"], tokenHeader: String? = nil,
                secrets: Bool = true) {
        self.headers = headers
        self.tokenHeader = tokenHeader
        self.secrets = secrets
    }

    /// Nothing redacted: for tests of the redaction itself and for explicit opt-out.
    public static let none = RedactionConfiguration(headers: [], tokenHeader: nil, secrets: false)
}
