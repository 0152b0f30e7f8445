import Kube

/// Who the agent is, as its token proved: the names the gateway impersonates upstream.
public struct VerifiedIdentity: Sendable, Hashable {
    /// The username after the issuer's username prefix is applied.
    public var username: String
    /// The groups after the issuer's groups prefix is applied.
    public var groups: [String]
    /// Extra attributes forwarded as `Impersonate-Extra-<key>`.
    public var extra: [String: [String]]
    public var issuer: String
    public var subject: String
    /// When the token stops being valid; the verified result is cached until then.
    public var expiresAt: KubeTime?
    /// The issuer's `runClaims` the token holds (a CI job's repository, run id, workflow), as
    /// text: they name the agent's run. Never forwarded upstream.
    public var runClaims: [String: String]

    public init(username: String, groups: [String] = [], extra: [String: [String]] = [:], issuer: String, subject: String,
                expiresAt: KubeTime? = nil, runClaims: [String: String] = [:]) {
        self.username = username
        self.groups = groups
        self.extra = extra
        self.issuer = issuer
        self.subject = subject
        self.expiresAt = expiresAt
        self.runClaims = runClaims
    }
}

/// The result of checking a token.
public enum AuthenticationOutcome: Sendable, Hashable {
    case authenticated(VerifiedIdentity)
    /// Why the token was refused, in words for the record (never containing the token).
    case rejected(reason: String)
}
