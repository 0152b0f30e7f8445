/// How fresh one issuer's signing keys are, for `portcullis status` and the metrics.
public struct IssuerKeyStatus: Sendable, Hashable {
    public var issuer: String
    /// Whether keys are loaded (tokens of this issuer can be verified).
    public var haveKeys: Bool
    public var keyCount: Int
    /// Unix seconds of the last successful JWKS fetch.
    public var fetchedAt: Double?
    /// Why the last fetch failed, when it did.
    public var lastError: String?

    public init(issuer: String, haveKeys: Bool, keyCount: Int, fetchedAt: Double?, lastError: String?) {
        self.issuer = issuer
        self.haveKeys = haveKeys
        self.keyCount = keyCount
        self.fetchedAt = fetchedAt
        self.lastError = lastError
    }
}
