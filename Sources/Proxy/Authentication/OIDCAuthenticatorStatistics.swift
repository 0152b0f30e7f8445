import Synchronization

/// Counters of the authenticator's work, for metrics and for tests that must prove what did not happen.
public struct OIDCAuthenticatorStatistics: Sendable, Hashable {
    /// Tokens answered from the cache, with no parsing and no cryptography.
    public var cacheHits = 0
    /// Signature checks handed to jwt-kit (one per key tried).
    public var signatureVerifications = 0
    /// Discovery documents requested.
    public var discoveryFetches = 0
    /// JWKS requested.
    public var jwksFetches = 0
    /// Tokens verified and cached.
    public var tokensVerified = 0
    /// Tokens refused.
    public var tokensRejected = 0

    public init() {}
}

/// The shared, locked counters behind ``OIDCAuthenticator/statistics``.
final class StatisticsCounter: Sendable {
    private let state = Mutex(OIDCAuthenticatorStatistics())

    func count(_ field: WritableKeyPath<OIDCAuthenticatorStatistics, Int> & Sendable, by amount: Int = 1) {
        state.withLock { $0[keyPath: field] += amount }
    }

    var snapshot: OIDCAuthenticatorStatistics { state.withLock { $0 } }
}
