import Foundation
import Kube
@testable import Proxy
import Testing

/// Tokens refused on their shape, algorithm or issuer alone: before any key is needed, so the issuer
/// (an address nobody listens on) is never contacted. Hand-made junk, never signed by the verifier.
@Suite struct OIDCTokenShapeTests {
    static let issuer = "https://127.0.0.1:9/never-contacted"

    static func authenticator() throws -> OIDCAuthenticator {
        try OIDCTestSupport.authenticator([OIDCIssuerConfiguration(issuerURL: issuer, audiences: ["kube"])])
    }

    static let now = Int64(Date.now.timeIntervalSince1970)
    static let goodClaims: JSONValue = ["iss": .string(issuer), "aud": "kube", "sub": "agent-7", "exp": .int(now + 600)]

    static let cases: [(String, String, String)] = [
        ("empty", "", "missing token"),
        ("one part", "abc", "malformed token: not three base64url parts"),
        ("four parts", "a.b.c.d", "malformed token: not three base64url parts"),
        ("not base64url", "e30=.e30.c2ln", "malformed token: not three base64url parts"),
        ("header not JSON", OIDCTestSupport.base64URL(Array("nope".utf8)) + ".e30.c2ln", "malformed token: header is not a JSON object"),
        ("header without alg", OIDCTestSupport.handMade(header: ["typ": "JWT"], payload: goodClaims), "malformed token: header has no alg"),
        ("payload not JSON", OIDCTestSupport.base64URL(Array(#"{"alg":"RS256"}"#.utf8)) + ".bm9wZQ.c2ln",
         "malformed token: payload is not a JSON object"),
        ("empty signature", OIDCTestSupport.handMade(header: ["alg": "RS256"], payload: goodClaims, signature: ""),
         "malformed token: empty signature"),
        ("critical header", OIDCTestSupport.handMade(header: ["alg": "RS256", "crit": ["exp"]], payload: goodClaims),
         "malformed token: critical header parameters are not supported"),
        ("alg none", OIDCTestSupport.handMade(header: ["alg": "none"], payload: goodClaims, signature: ""),
         "unsigned token (alg none) refused"),
        ("alg NONE", OIDCTestSupport.handMade(header: ["alg": "NONE"], payload: goodClaims), "unsigned token (alg none) refused"),
        ("HS256", OIDCTestSupport.handMade(header: ["alg": "HS256"], payload: goodClaims),
         "HMAC-signed token (\"HS256\") refused: only public-key signatures are accepted"),
        ("HS512", OIDCTestSupport.handMade(header: ["alg": "HS512"], payload: goodClaims),
         "HMAC-signed token (\"HS512\") refused: only public-key signatures are accepted"),
        ("unknown alg", OIDCTestSupport.handMade(header: ["alg": "XY9"], payload: goodClaims), "unsupported signing algorithm \"XY9\""),
        ("no iss", OIDCTestSupport.handMade(header: ["alg": "RS256"], payload: ["aud": "kube", "sub": "a"]), "token has no iss claim"),
        ("unknown iss", OIDCTestSupport.handMade(header: ["alg": "RS256"], payload: ["iss": "https://evil.example\n", "sub": "a"]),
         "token issuer \"https://evil.example?\" is not a configured issuer"),
        ("alg not allowed", OIDCTestSupport.handMade(header: ["alg": "ES256"], payload: goodClaims),
         "signing algorithm \"ES256\" is not allowed for issuer \(issuer) (allowed: RS256)"),
        ("no exp", OIDCTestSupport.handMade(header: ["alg": "RS256"], payload: ["iss": .string(issuer), "aud": "kube", "sub": "a"]),
         "token has no exp claim"),
        ("exp not a number", OIDCTestSupport.handMade(header: ["alg": "RS256"],
                                                      payload: ["iss": .string(issuer), "aud": "kube", "exp": "tomorrow"]),
         "malformed token: exp is not a number"),
    ]

    @Test("refused before any key is fetched, with the exact reason", arguments: cases.indices)
    func refusedWithoutKeys(_ index: Int) async throws {
        let (name, token, reason) = Self.cases[index]
        let authenticator = try Self.authenticator()
        let outcome = try await OIDCTestSupport.outcome(authenticator, token)
        #expect(outcome == .rejected(reason: reason), "\(name)")
        let statistics = authenticator.statistics
        #expect(statistics.discoveryFetches == 0 && statistics.jwksFetches == 0 && statistics.signatureVerifications == 0)
        #expect(statistics.tokensRejected == 1)
    }

    @Test("a reason never contains the token, even when the token repeats itself in its claims")
    func reasonsNeverContainTheToken() async throws {
        let authenticator = try Self.authenticator()
        let secretish = String(repeating: "s3cr3t", count: 20)
        let token = OIDCTestSupport.handMade(header: ["alg": "RS256"], payload: ["iss": .string(secretish)])
        let outcome = try await OIDCTestSupport.outcome(authenticator, token)
        guard case .rejected(let reason) = outcome else {
            Issue.record("expected a rejection, got \(outcome)")
            return
        }
        #expect(!reason.contains(token) && !reason.contains(secretish))
        #expect(reason == "token issuer \"\(secretish.prefix(OIDCRejection.quotedLimit))...\" is not a configured issuer")
    }

    @Test("an oversized token is refused before it is decoded")
    func oversizedToken() async throws {
        let authenticator = try Self.authenticator()
        let token = String(repeating: "a", count: UnverifiedToken.maximumLength + 1)
        #expect(try await OIDCTestSupport.outcome(authenticator, token) == .rejected(reason: "malformed token: longer than 16384 bytes"))
    }

    @Test("base64url decoding is strict")
    func base64URL() {
        #expect(Base64URL.decode("aGVsbG8"[...].utf8) == Array("hello".utf8))
        #expect(Base64URL.decode("-_8"[...].utf8) == [0xFB, 0xFF])
        #expect(Base64URL.decode("aGVsbG8="[...].utf8) == nil)
        #expect(Base64URL.decode("a+/8"[...].utf8) == nil)
        #expect(Base64URL.decode("aGVsbG9"[...].utf8) == nil)
        #expect(Base64URL.decode("aGVsbG9="[...].utf8) == nil)
        #expect(Base64URL.decode("a"[...].utf8) == nil)
    }
}
