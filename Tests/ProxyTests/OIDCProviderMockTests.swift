import Foundation
import Kube
@testable import Proxy
import Testing
import TestSupport

/// A real OpenID provider, oidc-provider-mock: ID tokens from its authorization-code flow, verified end
/// to end through its discovery document and JWKS (plain http on loopback, allowed explicitly). Its
/// tokens carry no kid, so this also proves the kid-less path.
@Suite(.enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
struct OIDCProviderMockTests {
    static let users: [JSONValue] = [
        ["sub": "agent-7", "email": "agent7@example.com", "groups": ["ai-agents", "ops"], "team": "platform"],
        ["sub": "agent-9", "email": "agent9@example.com", "groups": "readers"],
    ]

    static func configuration(_ provider: ProviderMock) -> OIDCIssuerConfiguration {
        OIDCIssuerConfiguration(issuerURL: provider.issuerURL, audiences: ["kube"], groupsClaim: "groups",
                                groupsPrefix: "oidc:", extraClaims: ["team", "email"], allowInsecureHTTPIssuer: true)
    }

    @Test("its ID tokens verify: default username prefix, groups with their prefix, extras, expiry")
    func providerTokensVerify() async throws {
        try await ProviderMock.with(userClaims: Self.users) { provider in
            let authenticator = try OIDCTestSupport.authenticator([Self.configuration(provider)])
            let token = try await provider.idToken(sub: "agent-7")
            let outcome = try await OIDCTestSupport.outcome(authenticator, token)
            let identity = try #require(OIDCTestSupport.identity(outcome), "\(outcome)")
            #expect(identity.username == provider.issuerURL + "#agent-7")
            #expect(identity.groups == ["oidc:ai-agents", "oidc:ops"])
            #expect(identity.extra == ["team": ["platform"], "email": ["agent7@example.com"]])
            #expect(identity.issuer == provider.issuerURL && identity.subject == "agent-7")
            let expiresAt = try #require(identity.expiresAt)
            let now = Int64(Date.now.timeIntervalSince1970)
            #expect(expiresAt.seconds > now && expiresAt.seconds <= now + 3_700)
            let statistics = authenticator.statistics
            #expect(statistics.discoveryFetches == 1 && statistics.jwksFetches == 1 && statistics.signatureVerifications == 1)
            // The second request is a cache hit.
            #expect(try await OIDCTestSupport.outcome(authenticator, token) == outcome)
            #expect(authenticator.statistics.cacheHits == 1 && authenticator.statistics.signatureVerifications == 1)
        }
    }

    @Test("username from email has no prefix; a single-string groups claim is one group; users do not mix")
    func emailUsernameAndStringGroups() async throws {
        try await ProviderMock.with(userClaims: Self.users) { provider in
            var configuration = Self.configuration(provider)
            configuration.usernameClaim = "email"
            configuration.groupsPrefix = nil
            let authenticator = try OIDCTestSupport.authenticator([configuration])
            let seven = try await provider.idToken(sub: "agent-7")
            let nine = try await provider.idToken(sub: "agent-9")
            let sevenIdentity = OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, seven))
            let nineIdentity = OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, nine))
            #expect(sevenIdentity?.username == "agent7@example.com" && sevenIdentity?.groups == ["ai-agents", "ops"])
            #expect(nineIdentity?.username == "agent9@example.com" && nineIdentity?.groups == ["readers"])
            #expect(nineIdentity?.extra == ["email": ["agent9@example.com"]])
        }
    }

    @Test("its tokens are refused for another audience, and when tampered with")
    func providerTokensRefused() async throws {
        try await ProviderMock.with(userClaims: Self.users) { provider in
            var configuration = Self.configuration(provider)
            configuration.audiences = ["another-client"]
            let otherAudience = try OIDCTestSupport.authenticator([configuration])
            let token = try await provider.idToken(sub: "agent-7")
            #expect(try await OIDCTestSupport.outcome(otherAudience, token)
                == .rejected(reason: "token audience does not include another-client"))

            let authenticator = try OIDCTestSupport.authenticator([Self.configuration(provider)])
            let parts = token.split(separator: ".").map(String.init)
            let payload = try #require(Base64URL.decode(parts[1][...].utf8))
            let forgedPayload = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "agent-7", with: "admin-1")
            let forged = parts[0] + "." + OIDCTestSupport.base64URL(Array(forgedPayload.utf8)) + "." + parts[2]
            #expect(try await OIDCTestSupport.outcome(authenticator, forged) == .rejected(reason: "invalid signature"))
            #expect(OIDCTestSupport.identity(try await OIDCTestSupport.outcome(authenticator, token))?.subject == "agent-7")
        }
    }
}
