/// How the gateway authenticates agents: where the token travels, and which issuers are trusted.
public struct AuthenticationConfiguration: Sendable, Hashable {
    /// The header carrying the token. `Authorization` (the default) carries `Bearer <token>`; any other
    /// header carries the bare token.
    public var tokenHeader: String
    /// The trusted issuers; a token is routed to the one whose `issuerURL` equals its `iss`.
    public var issuers: [OIDCIssuerConfiguration]
    /// How long a fetched JWKS is used before it is fetched again (in the background).
    public var jwksRefreshInterval: Duration
    /// The least time between two JWKS fetches of one issuer triggered by an unknown key id or a
    /// failed fetch, so hostile tokens cannot make the gateway hammer the issuer.
    public var jwksMinimumRefreshInterval: Duration
    /// Bound on one discovery or JWKS request, connection and TLS included.
    public var fetchTimeout: Duration
    /// Bound on the size of a discovery document or JWKS.
    public var maximumDocumentBytes: Int
    /// How many verified tokens are remembered.
    public var cacheCapacity: Int

    public init(tokenHeader: String = "Authorization", issuers: [OIDCIssuerConfiguration],
                jwksRefreshInterval: Duration = .seconds(3600), jwksMinimumRefreshInterval: Duration = .seconds(10),
                fetchTimeout: Duration = .seconds(10), maximumDocumentBytes: Int = 1 << 20, cacheCapacity: Int = 10_000) {
        self.tokenHeader = tokenHeader
        self.issuers = issuers
        self.jwksRefreshInterval = jwksRefreshInterval
        self.jwksMinimumRefreshInterval = jwksMinimumRefreshInterval
        self.fetchTimeout = fetchTimeout
        self.maximumDocumentBytes = maximumDocumentBytes
        self.cacheCapacity = cacheCapacity
    }

    /// Whether the token travels as `Authorization: Bearer <token>` rather than bare in a custom header.
    public var usesBearerScheme: Bool { tokenHeader.lowercased() == "authorization" }
}
