import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Verifies OpenID Connect ID tokens and maps them to the identity the gateway impersonates.
///
/// Invariants:
/// - A token verified before and not yet past its `exp` is answered from the cache, synchronously,
///   with no parsing and no cryptography. The cache holds SHA-256 digests, never tokens, and holds
///   only verified tokens.
/// - Everything else is checked in full: shape, `alg` (never `none`, never HMAC, only the issuer's
///   allowed public-key algorithms), issuer (routed by the unverified `iss`, then proven by that
///   issuer's key), times with the clock skew, audience, required claims, the identity mapping, and
///   last the signature with a key of that issuer named by `kid` (or each of its keys for `alg`
///   when the token has no `kid`). Nothing a token says is trusted before that signature holds.
/// - Rejection reasons never contain the token.
public final class OIDCAuthenticator: Sendable {
    public let configuration: AuthenticationConfiguration
    private let issuers: [String: Issuer]
    private let cache: VerifiedTokenCache
    private let counters = StatisticsCounter()
    private let clock: @Sendable () -> Double
    private let logger: Logger

    private struct Issuer: Sendable {
        let policy: ClaimsPolicy
        let keys: IssuerKeyStore
    }

    /// A token that passed every check but the signature.
    private struct PendingToken: Sendable {
        let token: UnverifiedToken
        let algorithm: OIDCSigningAlgorithm
        let issuer: Issuer
        let identity: VerifiedIdentity
        let expiresAt: Double
    }

    /// The wall clock in Unix seconds.
    public static let systemClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    /// Throws ``AuthenticationConfigurationError`` when `configuration` does not validate or a CA file
    /// cannot be loaded. Fetches nothing: keys are fetched on first use or by ``refreshKeys()``.
    /// `clock` (Unix seconds) is for tests.
    public init(configuration: AuthenticationConfiguration, eventLoopGroup: any EventLoopGroup,
                logger: Logger = Logger(label: "portcullis.oidc"),
                clock: @escaping @Sendable () -> Double = OIDCAuthenticator.systemClock) throws {
        let problems = configuration.validate()
        guard problems.isEmpty else { throw AuthenticationConfigurationError(problems: problems) }
        self.configuration = configuration
        self.cache = VerifiedTokenCache(capacity: configuration.cacheCapacity)
        self.clock = clock
        self.logger = logger
        var issuers: [String: Issuer] = [:]
        for (index, issuer) in configuration.issuers.enumerated() {
            let client = try Self.client(for: issuer, index: index, configuration: configuration, group: eventLoopGroup)
            let keys = IssuerKeyStore(issuer: issuer, client: client, refreshInterval: configuration.jwksRefreshInterval,
                                      minimumRefreshInterval: configuration.jwksMinimumRefreshInterval, clock: clock,
                                      counters: counters, logger: logger)
            issuers[issuer.issuerURL] = Issuer(policy: ClaimsPolicy(issuer), keys: keys)
        }
        self.issuers = issuers
    }

    private static func client(for issuer: OIDCIssuerConfiguration, index: Int, configuration: AuthenticationConfiguration,
                               group: any EventLoopGroup) throws -> DiscoveryHTTPClient {
        do {
            return DiscoveryHTTPClient(eventLoopGroup: group, tlsContext: try DiscoveryHTTPClient.makeTLSContext(caFile: issuer.caFile),
                                       allowPlainHTTP: issuer.allowInsecureHTTPIssuer,
                                       timeout: .nanoseconds(Int64(IssuerKeyStore.seconds(configuration.fetchTimeout) * 1e9)),
                                       maximumBodyBytes: configuration.maximumDocumentBytes)
        } catch {
            let field = issuer.caFile == nil ? "issuers[\(index)]" : "issuers[\(index)].caFile"
            throw AuthenticationConfigurationError(problems: [
                AuthenticationConfigurationProblem(field: field, message: "cannot set up TLS: \(error)"),
            ])
        }
    }

    /// What the work so far has cost.
    public var statistics: OIDCAuthenticatorStatistics { counters.snapshot }

    /// How many verified tokens the cache holds now.
    var cachedTokenCount: Int { cache.count }

    /// The outcome for the token in `headers` (see ``AuthenticationConfiguration/token(from:)``).
    public func authenticate(headers: HTTPHeaders, on eventLoop: any EventLoop) -> EventLoopFuture<AuthenticationOutcome> {
        switch configuration.token(from: headers) {
        case .success(let token): authenticate(token: token, on: eventLoop)
        case .failure(let rejection): eventLoop.makeSucceededFuture(rejected(rejection))
        }
    }

    /// The outcome for `token`. Called on the event loop for every request: a cached token is
    /// answered with an already succeeded future; anything that needs a key or a signature check
    /// completes later, off the event loop. The future never fails.
    public func authenticate(token: String, on eventLoop: any EventLoop) -> EventLoopFuture<AuthenticationOutcome> {
        guard !token.isEmpty else { return eventLoop.makeSucceededFuture(rejected(.missingToken)) }
        let now = clock()
        let key = VerifiedTokenCache.key(for: token)
        if let identity = cache.identity(for: key, now: now) {
            counters.count(\.cacheHits)
            return eventLoop.makeSucceededFuture(.authenticated(identity))
        }
        switch prepare(token, now: now) {
        case .failure(let rejection):
            return eventLoop.makeSucceededFuture(rejected(rejection))
        case .success(let pending):
            let promise = eventLoop.makePromise(of: AuthenticationOutcome.self)
            promise.completeWithTask { [self] in
                switch await verifySignature(of: pending) {
                case .failure(let rejection):
                    return rejected(rejection)
                case .success:
                    cache.insert(pending.identity, for: key, expiresAt: pending.expiresAt, now: clock())
                    counters.count(\.tokensVerified)
                    return .authenticated(pending.identity)
                }
            }
            return promise.futureResult
        }
    }

    /// Each issuer's keys: loaded or not, when, and the last error; sorted by issuer.
    public var keyStatus: [IssuerKeyStatus] {
        issuers.values.map(\.keys.status).sorted { $0.issuer < $1.issuer }
    }

    /// Fetches every issuer's keys now. Returns the issuers whose keys could not be loaded, with why.
    public func refreshKeys() async -> [String: String] {
        var failures: [String: String] = [:]
        for (url, issuer) in issuers {
            if let error = await issuer.keys.refreshNow() { failures[url] = error }
        }
        return failures
    }

    /// Every check that needs no key: shape, algorithm, issuer routing, times, audience, claims.
    private func prepare(_ compact: String, now: Double) -> Result<PendingToken, OIDCRejection> {
        let token: UnverifiedToken
        switch UnverifiedToken.parse(compact) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let parsed): token = parsed
        }
        if OIDCSigningAlgorithm.isHMAC(token.algorithm) { return .failure(.hmacAlgorithm(token.algorithm)) }
        guard let algorithm = OIDCSigningAlgorithm(rawValue: token.algorithm) else {
            return .failure(.unsupportedAlgorithm(token.algorithm))
        }
        guard let issValue = token.claims["iss"], !issValue.isNull else { return .failure(.missingIssuer) }
        guard let iss = issValue.stringValue else { return .failure(.malformed("iss is not a string")) }
        guard let issuer = issuers[iss] else { return .failure(.unknownIssuer(iss)) }
        let configured = issuer.policy.issuer
        guard configured.allowedAlgorithms.contains(algorithm) else {
            return .failure(.algorithmNotAllowed(token.algorithm, issuer: iss, allowed: configured.signingAlgorithms))
        }
        return issuer.policy.check(token.claims, now: now).map { identity, expiresAt in
            PendingToken(token: token, algorithm: algorithm, issuer: issuer, identity: identity, expiresAt: expiresAt)
        }
    }

    /// The signature check with the routed issuer's keys, refreshing them (rate-limited) when the
    /// token's key is not among them.
    private func verifySignature(of pending: PendingToken) async -> Result<Void, OIDCRejection> {
        let store = pending.issuer.keys
        var keys: IssuerKeySet
        switch await store.currentKeys() {
        case .failure(let rejection): return .failure(rejection)
        case .success(let current): keys = current
        }
        let keyID = pending.token.keyID
        var lookup = keys.lookup(keyID: keyID, algorithm: pending.algorithm)
        if lookup.needsRefresh, let refreshed = await store.refreshForUnknownKey() {
            keys = refreshed
            lookup = keys.lookup(keyID: keyID, algorithm: pending.algorithm)
        }
        var tried: Set<ObjectIdentifier> = []
        switch await check(pending, lookup, tried: &tried) {
        case .success: return .success(())
        case .failure(let rejection) where keyID == nil && rejection == .invalidSignature:
            // A token without kid may be signed by a key published since the last fetch.
            guard let refreshed = await store.refreshForUnknownKey() else { return .failure(rejection) }
            return await check(pending, refreshed.lookup(keyID: nil, algorithm: pending.algorithm), tried: &tried)
        case .failure(let rejection): return .failure(rejection)
        }
    }

    private func check(_ pending: PendingToken, _ lookup: IssuerKeySet.Lookup,
                       tried: inout Set<ObjectIdentifier>) async -> Result<Void, OIDCRejection> {
        switch lookup {
        case .unknownKeyID: return .failure(.unknownKeyID(pending.token.keyID ?? ""))
        case .algorithmMismatch:
            return .failure(.keyAlgorithmMismatch(keyID: pending.token.keyID ?? "", algorithm: pending.algorithm.rawValue))
        case .noKeyForAlgorithm: return .failure(.noKeyForAlgorithm(pending.algorithm.rawValue))
        case .candidates(let candidates):
            for key in candidates where tried.insert(ObjectIdentifier(key.verifier)).inserted {
                counters.count(\.signatureVerifications)
                switch await key.check(pending.token.compact) {
                case .valid: return .success(())
                case .invalid: continue
                case .failed(let error):
                    logger.debug("jwt-kit could not check a signature", metadata: ["kid": "\(key.keyID)", "error": "\(error)"])
                }
            }
            return .failure(.invalidSignature)
        }
    }

    private func rejected(_ rejection: OIDCRejection) -> AuthenticationOutcome {
        counters.count(\.tokensRejected)
        logger.debug("token rejected", metadata: ["reason": "\(rejection.reason)"])
        return .rejected(reason: rejection.reason)
    }
}

extension IssuerKeySet.Lookup {
    /// Whether a fresh JWKS could change the answer: the key or the algorithm's keys are missing.
    var needsRefresh: Bool {
        switch self {
        case .unknownKeyID, .noKeyForAlgorithm: true
        case .candidates, .algorithmMismatch: false
        }
    }
}
