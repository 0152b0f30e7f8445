import Kube
import Logging
import Synchronization

/// The signing keys of one issuer: found through discovery, fetched from its JWKS, refreshed.
///
/// Invariants:
/// - At most one fetch runs at a time per issuer; concurrent callers wait for the same one.
/// - A fetch is started on demand when there are no keys, in the background when the keys are older
///   than the refresh interval, and for an unknown key only if the previous fetch began at least the
///   minimum interval ago; a failed fetch likewise blocks another for that interval.
/// - A failed fetch keeps the keys that were there; a JWKS that parses replaces them entirely.
/// - Discovery must name exactly the configured issuer; it is repeated when it is older than the
///   refresh interval or the JWKS fetch failed.
final class IssuerKeyStore: Sendable {
    let issuer: OIDCIssuerConfiguration
    private let client: DiscoveryHTTPClient
    private let refreshInterval: Double
    private let minimumRefreshInterval: Double
    private let clock: @Sendable () -> Double
    private let counters: StatisticsCounter
    private let logger: Logger
    private let state = Mutex(State())

    private struct State: Sendable {
        var keys = IssuerKeySet.empty
        var haveKeys = false
        var keysFetchedAt: Double?
        var lastFetchStartedAt: Double?
        var lastError: String?
        var jwksURI: String?
        var discoveredAt: Double?
        var inFlight: Task<Void, Never>?
    }

    init(issuer: OIDCIssuerConfiguration, client: DiscoveryHTTPClient, refreshInterval: Duration,
         minimumRefreshInterval: Duration, clock: @escaping @Sendable () -> Double, counters: StatisticsCounter,
         logger: Logger) {
        self.issuer = issuer
        self.client = client
        self.refreshInterval = Self.seconds(refreshInterval)
        self.minimumRefreshInterval = Self.seconds(minimumRefreshInterval)
        self.clock = clock
        self.counters = counters
        var logger = logger
        logger[metadataKey: "oidc.issuer"] = "\(issuer.issuerURL)"
        self.logger = logger
    }

    var status: IssuerKeyStatus {
        state.withLock { state in
            IssuerKeyStatus(issuer: issuer.issuerURL, haveKeys: state.haveKeys, keyCount: state.keys.keys.count,
                            fetchedAt: state.keysFetchedAt, lastError: state.lastError)
        }
    }

    /// The current keys, fetching them first if there are none (subject to the minimum interval after
    /// a failure). Stale keys are returned at once while a background fetch replaces them.
    func currentKeys() async -> Result<IssuerKeySet, OIDCRejection> {
        let now = clock()
        enum Next { case use(IssuerKeySet), wait(Task<Void, Never>), fail(String) }
        let next: Next = state.withLock { state in
            if state.haveKeys {
                if let fetched = state.keysFetchedAt, now - fetched >= refreshInterval, state.inFlight == nil,
                   mayFetch(state, now: now) {
                    _ = startFetch(&state, now: now)
                }
                return .use(state.keys)
            }
            if let task = state.inFlight { return .wait(task) }
            if !mayFetch(state, now: now) { return .fail(state.lastError ?? "fetch rate-limited") }
            return .wait(startFetch(&state, now: now))
        }
        switch next {
        case .use(let keys): return .success(keys)
        case .fail(let detail): return .failure(.keysUnavailable(issuer: issuer.issuerURL, detail: detail))
        case .wait(let task):
            await task.value
            return state.withLock { state in
                state.haveKeys ? .success(state.keys)
                    : .failure(.keysUnavailable(issuer: issuer.issuerURL, detail: state.lastError ?? "no keys"))
            }
        }
    }

    /// Fetches the JWKS again because a token named a key that is not there, unless a fetch began less
    /// than the minimum interval ago (then joins a running fetch, or returns `nil`).
    func refreshForUnknownKey() async -> IssuerKeySet? {
        let now = clock()
        let task: Task<Void, Never>? = state.withLock { state in
            if let running = state.inFlight { return running }
            return mayFetch(state, now: now) ? startFetch(&state, now: now) : nil
        }
        guard let task else {
            logger.debug("JWKS refresh for an unknown key skipped: rate-limited")
            return nil
        }
        await task.value
        return state.withLock { $0.keys }
    }

    /// Fetches now unless a fetch is running (then waits for it). For start-up and operators.
    func refreshNow() async -> String? {
        let now = clock()
        let task = state.withLock { state in state.inFlight ?? startFetch(&state, now: now) }
        await task.value
        return state.withLock { $0.lastError }
    }

    private func mayFetch(_ state: State, now: Double) -> Bool {
        guard let started = state.lastFetchStartedAt else { return true }
        return now - started >= minimumRefreshInterval || now < started
    }

    /// Starts the single fetch. Called with the lock held.
    private func startFetch(_ state: inout State, now: Double) -> Task<Void, Never> {
        state.lastFetchStartedAt = now
        let rediscover = state.jwksURI == nil || state.lastError != nil
            || (state.discoveredAt.map { now - $0 >= refreshInterval } ?? true)
        let knownJWKSURI = rediscover ? nil : state.jwksURI
        let task = Task { [self] in
            let outcome = await fetch(knownJWKSURI: knownJWKSURI)
            finishFetch(outcome)
        }
        state.inFlight = task
        return task
    }

    private struct FetchOutcome: Sendable {
        var jwksURI: String?
        var discovered: Bool
        var result: Result<IssuerKeySet, KeyFetchProblem>
    }

    private func fetch(knownJWKSURI: String?) async -> FetchOutcome {
        let jwksURI: String
        if let knownJWKSURI {
            jwksURI = knownJWKSURI
        } else {
            switch await discover() {
            case .success(let uri): jwksURI = uri
            case .failure(let problem): return FetchOutcome(jwksURI: nil, discovered: false, result: .failure(problem))
            }
        }
        return FetchOutcome(jwksURI: jwksURI, discovered: knownJWKSURI == nil, result: await fetchKeys(from: jwksURI))
    }

    /// `GET jwks_uri`, parsed into the keys this issuer may use.
    private func fetchKeys(from jwksURI: String) async -> Result<IssuerKeySet, KeyFetchProblem> {
        counters.count(\.jwksFetches)
        let body: [UInt8]
        do {
            body = try await client.get(jwksURI)
        } catch {
            return .failure(KeyFetchProblem(description: error.description))
        }
        do {
            return .success(try await IssuerKeySet.parse(body, allowed: issuer.allowedAlgorithms, logger: logger))
        } catch {
            return .failure(KeyFetchProblem(description: "JWKS at \(jwksURI) is \(error)"))
        }
    }

    private func finishFetch(_ outcome: FetchOutcome) {
        let now = clock()
        state.withLock { state in
            state.inFlight = nil
            if let uri = outcome.jwksURI, outcome.discovered {
                state.jwksURI = uri
                state.discoveredAt = now
            }
            switch outcome.result {
            case .success(let keys):
                state.keys = keys
                state.haveKeys = true
                state.keysFetchedAt = now
                state.lastError = nil
            case .failure(let error):
                state.lastError = error.description
            }
        }
        switch outcome.result {
        case .success(let keys):
            logger.debug("JWKS loaded", metadata: ["keys": "\(keys.keys.map { "\($0.keyID)/\($0.algorithm.rawValue)" })"])
        case .failure(let error):
            logger.warning("cannot load the issuer's signing keys", metadata: ["error": "\(error)"])
        }
    }

    /// `GET {issuer}/.well-known/openid-configuration`: checks `issuer`, returns `jwks_uri`.
    private func discover() async -> Result<String, KeyFetchProblem> {
        let url = FetchURL.appending("/.well-known/openid-configuration", to: issuer.issuerURL)
        counters.count(\.discoveryFetches)
        let body: [UInt8]
        do {
            body = try await client.get(url)
        } catch {
            return .failure(KeyFetchProblem(description: error.description))
        }
        guard let document = try? JSONParser.parse(body), document.objectValue != nil else {
            return .failure(KeyFetchProblem(description: "discovery document at \(url) is not a JSON object"))
        }
        guard document["issuer"]?.stringValue == issuer.issuerURL else {
            let named = OIDCRejection.quoted(document["issuer"]?.stringValue ?? "")
            return .failure(KeyFetchProblem(description: "discovery document names issuer \(named), not \(issuer.issuerURL)"))
        }
        guard let jwksURI = document["jwks_uri"]?.stringValue, let parsed = try? FetchURL(jwksURI) else {
            return .failure(KeyFetchProblem(description: "discovery document at \(url) has no valid jwks_uri"))
        }
        guard parsed.isHTTPS || issuer.allowInsecureHTTPIssuer else {
            return .failure(KeyFetchProblem(description: "jwks_uri \(jwksURI) is not https"))
        }
        return .success(jwksURI)
    }

    private struct KeyFetchProblem: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
