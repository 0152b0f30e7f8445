import Foundation
import NIOHTTP1
@testable import Proxy
import Testing
import TestSupport

/// The configuration structs: kube-apiserver's defaults, validation naming the field, and where the
/// token is read from. No network.
@Suite struct OIDCConfigurationTests {
    static func issuer(_ url: String = "https://issuer.example", audiences: [String] = ["kube"]) -> OIDCIssuerConfiguration {
        OIDCIssuerConfiguration(issuerURL: url, audiences: audiences)
    }

    @Test("defaults are kube-apiserver's: sub, RS256, Authorization: Bearer, https only")
    func defaults() {
        let issuer = Self.issuer()
        #expect(issuer.usernameClaim == "sub")
        #expect(issuer.signingAlgorithms == ["RS256"])
        #expect(issuer.allowInsecureHTTPIssuer == false)
        #expect(issuer.groupsClaim == nil)
        let configuration = AuthenticationConfiguration(issuers: [issuer])
        #expect(configuration.tokenHeader == "Authorization")
        #expect(configuration.usesBearerScheme)
        #expect(configuration.validate().isEmpty)
    }

    @Test("username prefix: issuer# by default, none for email, none for -, else as given")
    func usernamePrefix() {
        var issuer = Self.issuer()
        #expect(issuer.effectiveUsernamePrefix == "https://issuer.example#")
        issuer.usernameClaim = "email"
        #expect(issuer.effectiveUsernamePrefix == "")
        issuer.usernamePrefix = "oidc:"
        #expect(issuer.effectiveUsernamePrefix == "oidc:")
        issuer.usernameClaim = "sub"
        issuer.usernamePrefix = "-"
        #expect(issuer.effectiveUsernamePrefix == "")
        #expect(issuer.effectiveGroupsPrefix == "")
        issuer.groupsPrefix = "g:"
        #expect(issuer.effectiveGroupsPrefix == "g:")
    }

    @Test("a plain-http issuer needs allowInsecureHTTPIssuer, and the problem names the field")
    func plainHTTPIssuer() {
        var issuer = Self.issuer("http://127.0.0.1:9400")
        let problems = AuthenticationConfiguration(issuers: [issuer]).validate()
        #expect(problems == [AuthenticationConfigurationProblem(
            field: "issuers[0].issuerURL",
            message: "http://127.0.0.1:9400 must be https (plain http needs allowInsecureHTTPIssuer, for tests only)")])
        issuer.allowInsecureHTTPIssuer = true
        #expect(AuthenticationConfiguration(issuers: [issuer]).validate().isEmpty)
    }

    @Test("every invalid field is reported with its path")
    func problemsNameTheirFields() throws {
        var bad = Self.issuer("ftp://issuer.example", audiences: [])
        bad.signingAlgorithms = ["HS256", "RS256", "XY1", "none"]
        bad.usernameClaim = ""
        bad.groupsClaim = ""
        bad.extraClaims = ["team", "team"]
        bad.caFile = "/nonexistent/ca.pem"
        bad.clockSkew = .seconds(-1)
        var configuration = AuthenticationConfiguration(tokenHeader: "X Token", issuers: [Self.issuer(), bad, Self.issuer()])
        configuration.cacheCapacity = 0
        let problems = configuration.validate().map(\.description)
        #expect(problems == [
            "tokenHeader: \"X Token\" is not a valid HTTP header name",
            "issuers[1].issuerURL: ftp://issuer.example is not an absolute http or https URL",
            "issuers[1].audiences: at least one audience (client id) is required",
            "issuers[1].usernameClaim: must not be empty",
            "issuers[1].groupsClaim: must not be empty (leave it unset for no groups)",
            "issuers[1].extraClaims: a claim is listed twice",
            "issuers[1].caFile: /nonexistent/ca.pem does not exist or is not readable",
            "issuers[1].signingAlgorithms: HS256 is refused: only public-key algorithms are allowed (RS256, RS384, RS512, PS256, ES256, ES384, EdDSA)",
            "issuers[1].signingAlgorithms: XY1 is not supported (supported: RS256, RS384, RS512, PS256, ES256, ES384, EdDSA)",
            "issuers[1].signingAlgorithms: none is refused: only public-key algorithms are allowed (RS256, RS384, RS512, PS256, ES256, ES384, EdDSA)",
            "issuers[1].clockSkew: must not be negative",
            "issuers[2].issuerURL: https://issuer.example is configured twice",
            "cacheCapacity: must be at least 1",
        ])
        #expect(AuthenticationConfiguration(issuers: []).validate().map(\.description) == ["issuers: at least one issuer is required"])
    }

    @Test("the authenticator refuses an invalid configuration and a CA file that is not PEM")
    func authenticatorRefusesBadConfiguration() throws {
        let error = #expect(throws: AuthenticationConfigurationError.self) {
            _ = try OIDCTestSupport.authenticator([Self.issuer("http://insecure.example")])
        }
        #expect(error?.problems.map(\.field) == ["issuers[0].issuerURL"])
        let directory = try TemporaryDirectory.create(purpose: "oidc-ca")
        defer { directory.remove() }
        var issuer = Self.issuer()
        issuer.caFile = try directory.write("this is not a certificate\n", to: "ca.pem")
        let caError = #expect(throws: AuthenticationConfigurationError.self) {
            _ = try OIDCTestSupport.authenticator([issuer])
        }
        #expect(caError?.problems.map(\.field) == ["issuers[0].caFile"])
    }

    @Test("the token comes from Authorization: Bearer, or bare from a custom header")
    func tokenFromHeaders() {
        let bearer = AuthenticationConfiguration(issuers: [Self.issuer()])
        #expect(bearer.token(from: ["Authorization": "Bearer abc.def.ghi"]) == .success("abc.def.ghi"))
        #expect(bearer.token(from: ["authorization": "bearer   abc.def.ghi "]) == .success("abc.def.ghi"))
        #expect(bearer.token(from: [:]) == .failure(.missingToken))
        #expect(bearer.token(from: ["Authorization": "Bearer "]) == .failure(.missingToken))
        #expect(bearer.token(from: ["Authorization": "\tBEARER\tabc.def.ghi\t"]) == .success("abc.def.ghi"))
        #expect(bearer.token(from: ["Authorization": "Bearerabc.def.ghi"]).failureReason
            == "malformed token header: Authorization is not a Bearer token")
        #expect(UpstreamRequestBuilder.token(in: ["Authorization": "Bearer abc.def.ghi"], header: "Authorization") == "abc.def.ghi")
        #expect(UpstreamRequestBuilder.token(in: ["Authorization": "Basic abc"], header: "Authorization") == nil)
        #expect(bearer.token(from: ["Authorization": "Basic dXNlcjpwYXNz"]).failureReason
            == "malformed token header: Authorization is not a Bearer token")
        #expect(bearer.token(from: HTTPHeaders([("Authorization", "Bearer a"), ("Authorization", "Bearer b")])).failureReason
            == "malformed token header: more than one Authorization header")
        let custom = AuthenticationConfiguration(tokenHeader: "X-Portcullis-Token", issuers: [Self.issuer()])
        #expect(!custom.usesBearerScheme)
        #expect(custom.token(from: ["x-portcullis-token": "abc.def.ghi"]) == .success("abc.def.ghi"))
        #expect(custom.token(from: ["Authorization": "Bearer abc.def.ghi"]) == .failure(.missingToken))
    }

    @Test("URLs for discovery: ports, IPv6, paths, and what is refused")
    func fetchURLs() throws {
        let plain = try FetchURL("http://127.0.0.1:9400")
        #expect(!plain.isHTTPS && plain.host == "127.0.0.1" && plain.port == 9400 && plain.requestTarget == "/")
        #expect(plain.hostHeader == "127.0.0.1:9400" && plain.hostIsIPAddress)
        let v6 = try FetchURL("https://[::1]:8443/realms/a/jwks?x=1")
        #expect(v6.isHTTPS && v6.host == "::1" && v6.port == 8443 && v6.requestTarget == "/realms/a/jwks?x=1")
        #expect(v6.hostHeader == "[::1]:8443" && v6.hostIsIPAddress && v6.hasQuery)
        let named = try FetchURL("HTTPS://login.example.com/tenant")
        #expect(named.port == 443 && named.hostHeader == "login.example.com" && !named.hostIsIPAddress)
        #expect(FetchURL.appending("/.well-known/openid-configuration", to: "https://a.example/t/")
            == "https://a.example/t/.well-known/openid-configuration")
        #expect(throws: FetchURLError.self) { try FetchURL("https://user:pw@a.example/") }
        #expect(throws: FetchURLError.self) { try FetchURL("https://a.example:99999/") }
        #expect(throws: FetchURLError.self) { try FetchURL("https:///path") }
        #expect(throws: FetchURLError.self) { try FetchURL("file:///etc/passwd") }
    }
}

extension Result where Failure == OIDCRejection {
    var failureReason: String? {
        if case .failure(let rejection) = self { return rejection.reason }
        return nil
    }
}
