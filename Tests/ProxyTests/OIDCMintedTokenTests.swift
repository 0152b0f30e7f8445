import Foundation
import Kube
@testable import Proxy
import Testing
import TestSupport

/// Tokens minted independently by PyJWT (`Tests/clients/oidc_mint.py`), verified through real discovery
/// and JWKS requests on loopback: every algorithm accepted, every hostile case refused with its reason.
@Suite(.enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
struct OIDCMintedTokenTests {
    static let allAlgorithms = OIDCSigningAlgorithm.allCases.map(\.rawValue)

    @Test("every supported algorithm verifies, and the identity is mapped as kube-apiserver maps it",
          arguments: [("rsa-1", "RS256"), ("rsa-1", "RS384"), ("rsa-1", "RS512"), ("rsa-1", "PS256"),
                      ("ec-256", "ES256"), ("ec-384", "ES384"), ("ed-1", "EdDSA")])
    func acceptsEveryAlgorithm(_ key: String, _ alg: String) async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration(algorithms: Self.allAlgorithms)], clock: clock)
            let token = try await issuer.mint(tokenSpec(key: key, alg: alg, claims: issuer.claims(now: clock.now)))
            let outcome = try await OIDCTestSupport.outcome(authenticator, token)
            let expected = VerifiedIdentity(username: issuer.issuerURL + "#agent-7", groups: ["oidc:ai-agents", "oidc:ops"],
                                            extra: ["team": ["platform"]], issuer: issuer.issuerURL, subject: "agent-7",
                                            expiresAt: KubeTime(seconds: Int64(clock.now) + 600))
            #expect(outcome == .authenticated(expected))
            #expect(authenticator.statistics.signatureVerifications == 1)
        }
    }

    /// A hostile or broken token, and the exact reason it must be refused with.
    struct RefusalCase: Sendable, CustomTestStringConvertible {
        var name: String
        var spec: @Sendable (MintingIssuer, Double) -> JSONValue
        var reason: @Sendable (MintingIssuer, Double) -> String
        var configure: @Sendable (inout OIDCIssuerConfiguration) -> Void = { _ in }
        var testDescription: String { name }
    }

    static func at(_ seconds: Double) -> String { KubeTime(seconds: Int64(seconds)).rfc3339 }

    static let refusals: [RefusalCase] = [
        RefusalCase(name: "expired beyond the skew",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["exp": .int(Int64(now) - 31), "iat": .int(Int64(now) - 700)])) },
                    reason: { _, now in "token expired at \(at(now - 31))" }),
        RefusalCase(name: "not yet valid beyond the skew",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["nbf": .int(Int64(now) + 31)])) },
                    reason: { _, now in "token not valid before \(at(now + 31))" }),
        RefusalCase(name: "issued in the future beyond the skew",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["iat": .int(Int64(now) + 31)])) },
                    reason: { _, now in "token issued in the future (iat \(at(now + 31)))" }),
        RefusalCase(name: "wrong issuer",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["iss": "https://evil.example"])) },
                    reason: { _, _ in "token issuer \"https://evil.example\" is not a configured issuer" }),
        RefusalCase(name: "wrong audience (string)",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["aud": "someone-else"])) },
                    reason: { _, _ in "token audience does not include kube" }),
        RefusalCase(name: "wrong audience (array)",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["aud": ["a", "b"]])) },
                    reason: { _, _ in "token audience does not include kube" }),
        RefusalCase(name: "no audience",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["aud": nil])) },
                    reason: { _, _ in "token audience does not include kube" }),
        RefusalCase(name: "foreign key claiming a published kid",
                    spec: { i, now in tokenSpec(key: "foreign", claims: i.claims(now: now), kid: "rsa-1") },
                    reason: { _, _ in "invalid signature" }),
        RefusalCase(name: "foreign key without kid",
                    spec: { i, now in tokenSpec(key: "foreign", claims: i.claims(now: now), kid: .null) },
                    reason: { _, _ in "invalid signature" }),
        RefusalCase(name: "foreign key under its own kid",
                    spec: { i, now in tokenSpec(key: "foreign", claims: i.claims(now: now)) },
                    reason: { _, _ in "unknown signing key: kid \"foreign\" is not in the issuer's JWKS" }),
        RefusalCase(name: "tampered signature",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now), tamper: true) },
                    reason: { _, _ in "invalid signature" }),
        RefusalCase(name: "tampered ES256 signature",
                    spec: { i, now in tokenSpec(key: "ec-256", alg: "ES256", claims: i.claims(now: now), tamper: true) },
                    reason: { _, _ in "invalid signature" },
                    configure: { $0.signingAlgorithms = ["ES256", "RS256"] }),
        RefusalCase(name: "alg none",
                    spec: { i, now in tokenSpec(key: nil, claims: i.claims(now: now), kid: "rsa-1", none: true) },
                    reason: { _, _ in "unsigned token (alg none) refused" }),
        RefusalCase(name: "HS256 signed with the RSA public key's PEM",
                    spec: { i, now in tokenSpec(key: nil, claims: i.claims(now: now), kid: "rsa-1", hs256WithPublicPEMOf: "rsa-1") },
                    reason: { _, _ in "HMAC-signed token (\"HS256\") refused: only public-key signatures are accepted" },
                    configure: { $0.signingAlgorithms = allAlgorithms }),
        RefusalCase(name: "algorithm not in signingAlgorithms",
                    spec: { i, now in tokenSpec(key: "ec-256", alg: "ES256", claims: i.claims(now: now)) },
                    reason: { i, _ in "signing algorithm \"ES256\" is not allowed for issuer \(i.issuerURL) (allowed: RS256, PS256)" },
                    configure: { $0.signingAlgorithms = ["RS256", "PS256"] }),
        RefusalCase(name: "kid of a key of another type",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now), kid: "ec-256") },
                    reason: { _, _ in "signing key \"ec-256\" cannot verify \"RS256\"" },
                    configure: { $0.signingAlgorithms = allAlgorithms }),
        RefusalCase(name: "username claim missing",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now)) },
                    reason: { _, _ in "username claim email is missing" },
                    configure: { $0.usernameClaim = "email" }),
        RefusalCase(name: "username claim not a string",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["sub": 42])) },
                    reason: { _, _ in "username claim sub is not a string" }),
        RefusalCase(name: "email not verified",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["email": "a@example.com", "email_verified": false])) },
                    reason: { _, _ in "email not verified (email_verified is false)" },
                    configure: { $0.usernameClaim = "email" }),
        RefusalCase(name: "required claim missing",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now)) },
                    reason: { _, _ in "required claim tenant is missing" },
                    configure: { $0.requiredClaims = ["tenant": "acme"] }),
        RefusalCase(name: "required claim different",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["tenant": "globex"])) },
                    reason: { _, _ in "required claim tenant does not have the required value" },
                    configure: { $0.requiredClaims = ["tenant": "acme"] }),
        RefusalCase(name: "groups claim of the wrong type",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["groups": ["ok", 7]])) },
                    reason: { _, _ in "groups claim groups is not a string or an array of strings" }),
        RefusalCase(name: "extra claim of the wrong type",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["team": ["x": "y"]])) },
                    reason: { _, _ in "extra claim team is not a string or an array of strings" }),
        RefusalCase(name: "a username in the reserved system: namespace",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["sub": "system:admin"])) },
                    reason: { _, _ in "username \"system:admin\" uses the reserved system: prefix" },
                    configure: { $0.usernamePrefix = "-" }),
        RefusalCase(name: "a group in the reserved system: namespace",
                    spec: { i, now in tokenSpec(claims: i.claims(now: now, ["groups": "system:masters"])) },
                    reason: { _, _ in "group \"system:masters\" uses the reserved system: prefix" },
                    configure: { $0.groupsPrefix = nil }),
    ]

    @Test("refused with the exact reason, and never cached", arguments: refusals)
    func refused(_ refusal: RefusalCase) async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            var configuration = issuer.configuration()
            refusal.configure(&configuration)
            let authenticator = try OIDCTestSupport.authenticator([configuration], clock: clock)
            let token = try await issuer.mint(refusal.spec(issuer, clock.now))
            let reason = refusal.reason(issuer, clock.now)
            #expect(try await OIDCTestSupport.outcome(authenticator, token) == .rejected(reason: reason))
            #expect(try await OIDCTestSupport.outcome(authenticator, token) == .rejected(reason: reason))
            let statistics = authenticator.statistics
            #expect(statistics.cacheHits == 0 && statistics.tokensVerified == 0 && statistics.tokensRejected == 2)
            #expect(authenticator.cachedTokenCount == 0)
            // The same issuer accepts a good token under this configuration, so the refusal was the case's.
            if refusal.name.hasPrefix("username claim missing") || refusal.name == "email not verified"
                || refusal.name.hasPrefix("required claim") { return }
            let good = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now, ["sub": "agent-8"]), kid: "rsa-1"))
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, good)) != nil,
                    "control token refused under \(refusal.name)")
        }
    }

    @Test("times within the clock skew are accepted; the skew is the configured one")
    func clockSkewTolerance() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let now = Int64(clock.now)
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration(clockSkew: .seconds(30))], clock: clock)
            let tokens = try await issuer.mint([
                tokenSpec(claims: issuer.claims(now: clock.now, ["exp": .int(now - 29), "iat": .int(now - 600)])),
                tokenSpec(claims: issuer.claims(now: clock.now, ["nbf": .int(now + 29)])),
                tokenSpec(claims: issuer.claims(now: clock.now, ["iat": .int(now + 29)])),
                tokenSpec(claims: issuer.claims(now: clock.now, ["aud": ["other", "kube"]])),
            ])
            for token in tokens {
                #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token)) != nil)
            }
            let strict = try OIDCTestSupport.authenticator([issuer.configuration(clockSkew: .zero)], clock: clock)
            #expect(try await OIDCTestSupport.outcome(strict, tokens[0]) == .rejected(reason: "token expired at \(Self.at(clock.now - 29))"))
            #expect(try await OIDCTestSupport.outcome(strict, tokens[1]) == .rejected(reason: "token not valid before \(Self.at(clock.now + 29))"))
        }
    }

    @Test("an unknown kid triggers one JWKS refresh, rate-limited; a rotated-in key is picked up after the interval")
    func unknownKeyRefreshIsRateLimited() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock, minimumRefresh: .seconds(10))
            let claims = issuer.claims(now: clock.now)
            let tokens = try await issuer.mint([tokenSpec(claims: claims), tokenSpec(key: "rsa-2", claims: claims)])
            let (good, rotated) = (tokens[0], tokens[1])
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, good)) != nil)
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 1))

            let unknown = "unknown signing key: kid \"rsa-2\" is not in the issuer's JWKS"
            // Within 10 s of the first fetch: refused without fetching again, however often it is tried.
            for _ in 0..<5 { #expect(try await OIDCTestSupport.outcome(authenticator, rotated) == .rejected(reason: unknown)) }
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 1))

            // After the interval: exactly one refresh, still unknown, then rate-limited again.
            clock.advance(by: 11)
            for _ in 0..<5 { #expect(try await OIDCTestSupport.outcome(authenticator, rotated) == .rejected(reason: unknown)) }
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 2))

            // The issuer rotates rsa-2 in: not seen until the interval has passed, then accepted.
            try await issuer.publish(["rsa-1", "rsa-2"])
            #expect(try await OIDCTestSupport.outcome(authenticator, rotated) == .rejected(reason: unknown))
            #expect(try await issuer.requestCounts().jwks == 2)
            clock.advance(by: 11)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, rotated))?.subject == "agent-7")
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 3))
            #expect(authenticator.statistics.jwksFetches == 3)
        }
    }

    @Test("keys older than the refresh interval are fetched again in the background; a key rotated out stops verifying")
    func periodicRefresh() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock, refreshInterval: .seconds(300))
            let tokens = try await issuer.mint((0..<3).map {
                tokenSpec(claims: issuer.claims(now: clock.now, ["exp": .int(Int64(clock.now) + 3_600), "jti": .string("t\($0)")]))
            })
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[0])) != nil)
            clock.advance(by: 299)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[1])) != nil)
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 1))

            // The issuer rotates rsa-1 out. The next new token after the interval is still checked with the
            // keys in hand (no request waits for the network) while a refresh runs in the background.
            try await issuer.publish(["rsa-2"])
            clock.advance(by: 2)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[2])) != nil)
            let counts = try await issuer.waitForRequestCounts { $0.jwks == 2 }
            #expect(counts == (discovery: 2, jwks: 2))
            let later = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now, ["jti": "later"])))
            #expect(try await OIDCTestSupport.outcome(authenticator, later)
                == .rejected(reason: "unknown signing key: kid \"rsa-1\" is not in the issuer's JWKS"))
            // Tokens verified before the rotation stay cached until their exp.
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[0])) != nil)
        }
    }

    @Test("the token is taken from the request headers as configured")
    func authenticateFromHeaders() async throws {
        try await MintingIssuer.with { issuer in
            let clock = OIDCTestClock()
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now)))
            let bearer = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            let loop = OIDCTestSupport.group.next()
            let accepted = try await bearer.authenticate(headers: ["Authorization": "Bearer \(token)"], on: loop).get()
            #expect(OIDCTestSupport.identity(accepted)?.subject == "agent-7")
            #expect(try await bearer.authenticate(headers: ["X-Token": token], on: loop).get() == .rejected(reason: "missing token"))
            let custom = try OIDCAuthenticator(
                configuration: AuthenticationConfiguration(tokenHeader: "X-Token", issuers: [issuer.configuration()]),
                eventLoopGroup: OIDCTestSupport.group, logger: OIDCTestSupport.logger, clock: clock.function)
            #expect(OIDCTestSupport.identity(try await custom.authenticate(headers: ["X-Token": token], on: loop).get()) != nil)
            #expect(try await custom.authenticate(headers: ["Authorization": "Bearer \(token)"], on: loop).get()
                == .rejected(reason: "missing token"))
        }
    }

    @Test("concurrent first requests share one discovery and one JWKS fetch")
    func concurrentFirstRequestsShareOneFetch() async throws {
        try await MintingIssuer.with { issuer in
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()])
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: Date.now.timeIntervalSince1970)))
            let outcomes = try await withThrowingTaskGroup(of: AuthenticationOutcome.self) { group in
                for _ in 0..<20 { group.addTask { try await OIDCTestSupport.outcome(authenticator, token) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 20 && outcomes.allSatisfy { OIDCTestSupport.identity($0) != nil })
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 1))
        }
    }

    @Test("a JWKS with an oct key, an enc key, a kid-less key and a malformed key: the good keys still work, the others never verify")
    func junkKeysAreSkipped() async throws {
        try await MintingIssuer.with { issuer in
            try await issuer.publish(["rsa-1", "ec-256"], junk: true)
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration(algorithms: Self.allAlgorithms)], clock: clock)
            let claims = issuer.claims(now: clock.now)
            let tokens = try await issuer.mint([
                tokenSpec(claims: claims),
                tokenSpec(key: "ec-256", alg: "ES256", claims: claims, kid: .null),
                tokenSpec(key: "enc-rsa", claims: claims),
                tokenSpec(key: "kidless", claims: claims, kid: .null),
                tokenSpec(key: "kidless", claims: claims, kid: "broken"),
            ])
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[0])) != nil)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, tokens[1])) != nil)
            #expect(try await OIDCTestSupport.outcome(authenticator, tokens[2])
                == .rejected(reason: "unknown signing key: kid \"enc-rsa\" is not in the issuer's JWKS"))
            #expect(try await OIDCTestSupport.outcome(authenticator, tokens[3]) == .rejected(reason: "invalid signature"))
            #expect(try await OIDCTestSupport.outcome(authenticator, tokens[4])
                == .rejected(reason: "unknown signing key: kid \"broken\" is not in the issuer's JWKS"))
        }
    }

    @Test("the JWKS parser keeps only usable signing keys, each pinned to its algorithms")
    func jwksParserSkipsUnusableKeys() async throws {
        try await MintingIssuer.with { issuer in
            try await issuer.publish(["rsa-1", "ec-256", "ed-1"], junk: true)
            let jwks = try Data(contentsOf: URL(fileURLWithPath: issuer.directory.path("jwks.json")))
            #expect(String(decoding: jwks, as: UTF8.self).contains("\"oct\""))
            let keys = try await IssuerKeySet.parse(Array(jwks), allowed: OIDCSigningAlgorithm.allCases, logger: OIDCTestSupport.logger)
            let pinned = keys.keys.map { "\($0.keyID)/\($0.algorithm.rawValue)" }
            #expect(pinned == ["rsa-1/RS256", "rsa-1/RS384", "rsa-1/RS512", "rsa-1/PS256", "ec-256/ES256", "ed-1/EdDSA"])
            let rs256Only = try await IssuerKeySet.parse(Array(jwks), allowed: [.rs256], logger: OIDCTestSupport.logger)
            #expect(rs256Only.keys.map { "\($0.keyID)/\($0.algorithm.rawValue)" } == ["rsa-1/RS256"])
        }
    }

    @Test("a token without kid is tried against the issuer's keys for its algorithm only")
    func kidlessTokenTriesOnlyMatchingKeys() async throws {
        try await MintingIssuer.with { issuer in
            try await issuer.publish(["rsa-1", "rsa-2", "ec-256"])
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration(algorithms: ["RS256", "ES256"])], clock: clock)
            let token = try await issuer.mint(tokenSpec(key: "rsa-2", claims: issuer.claims(now: clock.now), kid: .null))
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token)) != nil)
            // rsa-1 then rsa-2; the EC key is never tried for an RS256 token.
            #expect(authenticator.statistics.signatureVerifications == 2)
        }
    }

    @Test("two issuers: each token is routed by iss and must be signed by that issuer's key")
    func twoIssuersRouteByIss() async throws {
        try await MintingIssuer.with { first in
            try await MintingIssuer.with { second in
                let clock = OIDCTestClock()
                var secondConfiguration = second.configuration()
                secondConfiguration.usernamePrefix = "second:"
                let authenticator = try OIDCTestSupport.authenticator([first.configuration(), secondConfiguration], clock: clock)
                let fromFirst = try await first.mint(tokenSpec(claims: first.claims(now: clock.now)))
                let fromSecond = try await second.mint(tokenSpec(claims: second.claims(now: clock.now)))
                // Claims the first issuer, signed by the second's rsa-1 (same kid, different key).
                let forged = try await second.mint(tokenSpec(claims: first.claims(now: clock.now)))
                #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, fromFirst))?.username
                    == first.issuerURL + "#agent-7")
                #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, fromSecond))?.username
                    == "second:agent-7")
                #expect(try await OIDCTestSupport.outcome(authenticator, forged) == .rejected(reason: "invalid signature"))
            }
        }
    }

    @Test("discovery must name the configured issuer")
    func discoveryIssuerMismatch() async throws {
        try await MintingIssuer.with(discoveryIssuer: "https://impostor.example") { issuer in
            let clock = OIDCTestClock()
            let authenticator = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now)))
            #expect(try await OIDCTestSupport.outcome(authenticator, token) == .rejected(reason:
                "signing keys of issuer \(issuer.issuerURL) are unavailable: discovery document names issuer "
                + "\"https://impostor.example\", not \(issuer.issuerURL)"))
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 0))
        }
    }

    @Test("an unreachable issuer fails closed, and is not retried within the minimum interval")
    func unreachableIssuer() async throws {
        let port = try await OIDCTestSupport.freePort()
        let url = "http://127.0.0.1:\(port)"
        let clock = OIDCTestClock()
        let configuration = OIDCIssuerConfiguration(issuerURL: url, audiences: ["kube"], allowInsecureHTTPIssuer: true)
        let authenticator = try OIDCTestSupport.authenticator([configuration], clock: clock)
        let token = OIDCTestSupport.handMade(header: ["alg": "RS256", "kid": "k"],
                                             payload: ["iss": .string(url), "aud": "kube", "sub": "a", "exp": .int(Int64(clock.now) + 60)])
        let prefix = "signing keys of issuer \(url) are unavailable: GET \(url)/.well-known/openid-configuration: cannot connect"
        for _ in 0..<3 {
            guard case .rejected(let reason) = try await OIDCTestSupport.outcome(authenticator, token) else {
                Issue.record("an unreachable issuer's token was accepted")
                return
            }
            #expect(reason.hasPrefix(prefix), "\(reason)")
        }
        #expect(authenticator.statistics.discoveryFetches == 1)
        clock.advance(by: 11)
        _ = try await OIDCTestSupport.outcome(authenticator, token)
        #expect(authenticator.statistics.discoveryFetches == 2)
    }

    @Test("https issuer: trusted through caFile; refused with another CA or with the system trust store")
    func httpsIssuerVerification() async throws {
        try await MintingIssuer.with(tls: true) { issuer in
            let clock = OIDCTestClock()
            let token = try await issuer.mint(tokenSpec(claims: issuer.claims(now: clock.now)))
            #expect(issuer.issuerURL.hasPrefix("https://"))
            let trusted = try OIDCTestSupport.authenticator([issuer.configuration()], clock: clock)
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(trusted, token))?.subject == "agent-7")

            var otherCA = issuer.configuration()
            otherCA.caFile = issuer.otherCAFile
            var systemTrust = issuer.configuration()
            systemTrust.caFile = nil
            for configuration in [otherCA, systemTrust] {
                let authenticator = try OIDCTestSupport.authenticator([configuration], clock: clock)
                guard case .rejected(let reason) = try await OIDCTestSupport.outcome(authenticator, token) else {
                    Issue.record("accepted keys from an untrusted https issuer")
                    continue
                }
                #expect(reason.hasPrefix("signing keys of issuer \(issuer.issuerURL) are unavailable: GET "
                    + "\(issuer.issuerURL)/.well-known/openid-configuration: TLS failed"), "\(reason)")
            }
            #expect(try await issuer.requestCounts() == (discovery: 1, jwks: 1))
        }
    }
}
