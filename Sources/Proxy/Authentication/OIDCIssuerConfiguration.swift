/// One trusted OpenID Connect issuer, with options named like kube-apiserver's `--oidc-*` flags.
///
/// Invariants the authenticator relies on (checked by ``AuthenticationConfiguration/validate()``):
/// the issuer URL is https unless ``allowInsecureHTTPIssuer`` is set, there is at least one audience,
/// and every signing algorithm is a public-key one.
public struct OIDCIssuerConfiguration: Sendable, Hashable {
    /// `--oidc-issuer-url`: must equal the tokens' `iss` exactly, and serves
    /// `/.well-known/openid-configuration`.
    public var issuerURL: String
    /// `--oidc-client-id`: a token's `aud` must contain at least one of these.
    public var audiences: [String]
    /// `--oidc-username-claim`.
    public var usernameClaim: String
    /// `--oidc-username-prefix`: `nil` applies kube-apiserver's default (`"<issuerURL>#"` unless the
    /// username claim is `email`); `"-"` means no prefix.
    public var usernamePrefix: String?
    /// `--oidc-groups-claim`: `nil` maps no groups.
    public var groupsClaim: String?
    /// `--oidc-groups-prefix`: put before every group; `nil` or empty means none.
    public var groupsPrefix: String?
    /// `--oidc-required-claim`: each claim must be present and equal to its value (a string).
    public var requiredClaims: [String: String]
    /// Claims forwarded as impersonation extras; the key is the claim name.
    public var extraClaims: [String]
    /// Claims that name a CI job's run (GitHub Actions: `repository`, `run_id`, `job_workflow_ref`):
    /// recorded with the run, shown by `sessions` and `show`; never forwarded.
    public var runClaims: [String]
    /// `--oidc-ca-file`: PEM certificates that alone are trusted for the issuer's HTTPS; the system
    /// trust store when `nil`.
    public var caFile: String?
    /// `--oidc-signing-algs`: names from ``OIDCSigningAlgorithm``.
    public var signingAlgorithms: [String]
    /// Tolerance for `exp`, `nbf` and `iat` against the gateway's clock.
    public var clockSkew: Duration
    /// Accept a plain-http issuer (and JWKS URL). For tests against local providers only; never on by default.
    public var allowInsecureHTTPIssuer: Bool

    public init(issuerURL: String, audiences: [String], usernameClaim: String = "sub", usernamePrefix: String? = nil,
                groupsClaim: String? = nil, groupsPrefix: String? = nil, requiredClaims: [String: String] = [:],
                extraClaims: [String] = [], caFile: String? = nil, signingAlgorithms: [String] = ["RS256"],
                clockSkew: Duration = .seconds(60), allowInsecureHTTPIssuer: Bool = false, runClaims: [String] = []) {
        self.issuerURL = issuerURL
        self.audiences = audiences
        self.usernameClaim = usernameClaim
        self.usernamePrefix = usernamePrefix
        self.groupsClaim = groupsClaim
        self.groupsPrefix = groupsPrefix
        self.requiredClaims = requiredClaims
        self.extraClaims = extraClaims
        self.runClaims = runClaims
        self.caFile = caFile
        self.signingAlgorithms = signingAlgorithms
        self.clockSkew = clockSkew
        self.allowInsecureHTTPIssuer = allowInsecureHTTPIssuer
    }

    /// The prefix actually applied to usernames, by kube-apiserver's rule.
    public var effectiveUsernamePrefix: String {
        switch usernamePrefix {
        case "-": ""
        case .some(let prefix): prefix
        case nil: usernameClaim == "email" ? "" : issuerURL + "#"
        }
    }

    /// The prefix actually applied to groups.
    public var effectiveGroupsPrefix: String { groupsPrefix ?? "" }

    /// The configured algorithms that exist; unknown names are reported by validation.
    var allowedAlgorithms: [OIDCSigningAlgorithm] {
        signingAlgorithms.compactMap(OIDCSigningAlgorithm.init(rawValue:))
    }
}
