import Foundation
import Kube
import Logging
import NIOCore
import NIOPosix
@testable import Proxy
import Synchronization
import TestSupport

// The harness the OIDC suites share (this file holds no tests): the independent PyJWT issuer, the
// oidc-provider-mock process, a settable clock, and token building helpers.

/// A clock the tests move by hand, in Unix seconds.
final class OIDCTestClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = Date().timeIntervalSince1970.rounded(.down)) {
        seconds = Mutex(start)
    }

    var now: Double { seconds.withLock { $0 } }

    func advance(by delta: Double) {
        seconds.withLock { $0 += delta }
    }

    var function: @Sendable () -> Double { { [self] in now } }
}

enum OIDCTestSupport {
    static let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// A logger that prints debug lines when `PORTCULLIS_TEST_DEBUG=1`, and nothing otherwise.
    static var logger: Logger {
        var logger = Logger(label: "oidc-test")
        logger.logLevel = ProcessInfo.processInfo.environment["PORTCULLIS_TEST_DEBUG"] == "1" ? .debug : .critical
        return logger
    }

    static func authenticator(_ issuers: [OIDCIssuerConfiguration], clock: OIDCTestClock? = nil,
                              refreshInterval: Duration = .seconds(3600), minimumRefresh: Duration = .seconds(10),
                              cacheCapacity: Int = 10_000, fetchTimeout: Duration = .seconds(10)) throws -> OIDCAuthenticator {
        let configuration = AuthenticationConfiguration(issuers: issuers, jwksRefreshInterval: refreshInterval,
                                                        jwksMinimumRefreshInterval: minimumRefresh, fetchTimeout: fetchTimeout,
                                                        cacheCapacity: cacheCapacity)
        return try OIDCAuthenticator(configuration: configuration, eventLoopGroup: group, logger: logger,
                                     clock: clock?.function ?? OIDCAuthenticator.systemClock)
    }

    /// Authenticates on an event loop of the shared group.
    static func outcome(_ authenticator: OIDCAuthenticator, _ token: String) async throws -> AuthenticationOutcome {
        try await authenticator.authenticate(token: token, on: group.next()).get()
    }

    /// A loopback port nobody listens on right now.
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw HarnessError("could not find a free port") }
        return port
    }

    /// `base64url(JSON header).base64url(JSON payload).signature`, for shapes no signer would make.
    static func handMade(header: JSONValue, payload: JSONValue, signature: String = "c2ln") -> String {
        base64URL(header.jsonBytes()) + "." + base64URL(payload.jsonBytes()) + "." + signature
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func identity(_ outcome: AuthenticationOutcome) -> VerifiedIdentity? {
        if case .authenticated(let identity) = outcome { return identity }
        return nil
    }
}

/// The independent issuer: `Tests/clients/oidc_mint.py serve`, PyJWT-minted tokens, a JWKS the test
/// controls and counts.
final class MintingIssuer: Sendable {
    let directory: TemporaryDirectory
    let process: ChildProcess
    let issuerURL: String
    let isTLS: Bool

    private init(directory: TemporaryDirectory, process: ChildProcess, issuerURL: String, isTLS: Bool) {
        self.directory = directory
        self.process = process
        self.issuerURL = issuerURL
        self.isTLS = isTLS
    }

    /// Starts the server and waits for the line that says it accepts connections (it binds port 0
    /// first, so there is no port race).
    static func start(tls: Bool = false, discoveryIssuer: String? = nil) async throws -> MintingIssuer {
        let directory = try TemporaryDirectory.create(purpose: "oidc-mint")
        var arguments = [try PythonTools.clientScript("oidc_mint.py"), "serve", "--dir", directory.path]
        if tls { arguments.append("--tls") }
        if let discoveryIssuer { arguments += ["--discovery-issuer", discoveryIssuer] }
        let process = try ChildProcess.launch(try PythonTools.python(), arguments, options: LaunchOptions(label: "oidc_mint serve"))
        do {
            let line = try await process.waitForLine(containing: "listening ", timeout: .seconds(60))
            let url = String(line.split(separator: " ").last ?? "")
            return MintingIssuer(directory: directory, process: process, issuerURL: url, isTLS: tls)
        } catch {
            process.kill()
            directory.remove()
            throw error
        }
    }

    func stop() async {
        await process.terminate()
        directory.remove()
    }

    var caFile: String { directory.path("ca.pem") }
    var otherCAFile: String { directory.path("other-ca.pem") }

    /// An issuer configuration for this server (plain http allowed when it is not TLS).
    func configuration(audiences: [String] = ["kube"], algorithms: [String] = ["RS256"],
                       clockSkew: Duration = .seconds(30)) -> OIDCIssuerConfiguration {
        OIDCIssuerConfiguration(issuerURL: issuerURL, audiences: audiences, groupsClaim: "groups", groupsPrefix: "oidc:",
                                extraClaims: ["team"], caFile: isTLS ? caFile : nil, signingAlgorithms: algorithms,
                                clockSkew: clockSkew, allowInsecureHTTPIssuer: !isTLS)
    }

    /// Claims that pass every check at `now`, with `overrides` applied (a `.null` override removes the claim).
    func claims(now: Double, _ overrides: [String: JSONValue] = [:]) -> JSONValue {
        var claims: [String: JSONValue] = [
            "iss": .string(issuerURL), "aud": "kube", "sub": "agent-7", "groups": ["ai-agents", "ops"],
            "team": "platform", "iat": .int(Int64(now)), "exp": .int(Int64(now) + 600),
        ]
        for (name, value) in overrides { claims[name] = value.isNull ? nil : value }
        return .object(claims)
    }

    /// PyJWT-minted tokens, one per spec (see the script's help for the fields).
    func mint(_ specs: [JSONValue]) async throws -> [String] {
        let input = JSONValue.array(specs).jsonBytes()
        let minter = try ChildProcess.launch(try PythonTools.python(),
                                             [try PythonTools.clientScript("oidc_mint.py"), "mint", "--dir", directory.path],
                                             options: LaunchOptions(standardInput: .bytes(input), label: "oidc_mint mint"))
        let status = try await minter.waitForExit(timeout: .seconds(60))
        guard status == .exited(0), let tokens = (try? JSONParser.parse(minter.standardOutputBytes))?.arrayValue else {
            throw HarnessError("minting failed\n\(minter.report)")
        }
        return tokens.compactMap(\.stringValue)
    }

    func mint(_ spec: JSONValue) async throws -> String {
        guard let token = try await mint([spec]).first else { throw HarnessError("minting returned no token") }
        return token
    }

    /// Replaces the published JWKS with the public keys named (and the junk keys when asked).
    func publish(_ keys: [String], junk: Bool = false) async throws {
        var arguments = [try PythonTools.clientScript("oidc_mint.py"), "publish", "--dir", directory.path,
                         "--keys", keys.joined(separator: ",")]
        if junk { arguments.append("--junk") }
        let publisher = try ChildProcess.launch(try PythonTools.python(), arguments, options: LaunchOptions(label: "oidc_mint publish"))
        guard try await publisher.waitForExit(timeout: .seconds(60)) == .exited(0) else {
            throw HarnessError("publishing failed\n\(publisher.report)")
        }
    }

    /// Polls ``requestCounts()`` until `condition` holds (a background fetch has no other signal).
    func waitForRequestCounts(timeout: Duration = .seconds(10),
                              until condition: ((discovery: Int, jwks: Int)) -> Bool) async throws -> (discovery: Int, jwks: Int) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let counts = try await requestCounts()
            if condition(counts) || ContinuousClock.now >= deadline { return counts }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How many discovery and JWKS requests the server has answered.
    func requestCounts() async throws -> (discovery: Int, jwks: Int) {
        let client = DiscoveryHTTPClient(eventLoopGroup: OIDCTestSupport.group,
                                         tlsContext: try DiscoveryHTTPClient.makeTLSContext(caFile: isTLS ? caFile : nil),
                                         allowPlainHTTP: true, timeout: .seconds(10), maximumBodyBytes: 4096)
        let stats = try JSONParser.parse(try await client.get(issuerURL + "/stats"))
        return (Int(stats["discovery"]?.intValue ?? -1), Int(stats["jwks"]?.intValue ?? -1))
    }

    /// Runs `body` with a started issuer and always stops it.
    static func with<T>(tls: Bool = false, discoveryIssuer: String? = nil,
                        _ body: (MintingIssuer) async throws -> T) async throws -> T {
        let issuer = try await start(tls: tls, discoveryIssuer: discoveryIssuer)
        do {
            let value = try await body(issuer)
            await issuer.stop()
            return value
        } catch {
            await issuer.stop()
            throw error
        }
    }
}

/// A spec for `oidc_mint.py mint`.
func tokenSpec(key: String? = "rsa-1", alg: String = "RS256", claims: JSONValue, kid: JSONValue? = nil,
               tamper: Bool = false, none: Bool = false, hs256WithPublicPEMOf: String? = nil) -> JSONValue {
    var spec: [String: JSONValue] = ["alg": .string(alg), "claims": claims]
    if let key { spec["key"] = .string(key) }
    if let kid { spec["kid"] = kid }
    if tamper { spec["tamper"] = true }
    if none { spec["none"] = true }
    if let hs256WithPublicPEMOf { spec["hs256_with_public_pem_of"] = .string(hs256WithPublicPEMOf) }
    return .object(spec)
}

/// oidc-provider-mock (PyPI), started on a free loopback port and polled until its discovery
/// document answers.
final class ProviderMock: Sendable {
    let process: ChildProcess
    let issuerURL: String

    private init(process: ChildProcess, issuerURL: String) {
        self.process = process
        self.issuerURL = issuerURL
    }

    static func start(userClaims: [JSONValue]) async throws -> ProviderMock {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try await OIDCTestSupport.freePort()
            var arguments = ["-m", "oidc_provider_mock", "--port", String(port)]
            for claims in userClaims { arguments += ["--user-claims", claims.jsonString] }
            let process = try ChildProcess.launch(try PythonTools.python(), arguments,
                                                  options: LaunchOptions(label: "oidc-provider-mock :\(port)"))
            let issuer = "http://127.0.0.1:\(port)"
            do {
                try await waitForDiscovery(issuer, process: process)
                return ProviderMock(process: process, issuerURL: issuer)
            } catch {
                lastError = error
                await process.terminate()
            }
        }
        throw lastError ?? HarnessError("oidc-provider-mock did not start")
    }

    /// Polls the discovery URL until it answers 200; gives up when the process exits or after 60 s.
    private static func waitForDiscovery(_ issuer: String, process: ChildProcess) async throws {
        let client = DiscoveryHTTPClient(eventLoopGroup: OIDCTestSupport.group,
                                         tlsContext: try DiscoveryHTTPClient.makeTLSContext(caFile: nil),
                                         allowPlainHTTP: true, timeout: .seconds(2), maximumBodyBytes: 1 << 16)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if !process.isRunning { throw HarnessError("oidc-provider-mock exited\n\(process.report)") }
            if (try? await client.get(issuer + "/.well-known/openid-configuration")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("oidc-provider-mock did not answer discovery within 60 s\n\(process.report)")
    }

    /// An ID token for `sub`, through the authorization-code flow (`Tests/clients/oidc_mock_token.py`).
    func idToken(sub: String, clientID: String = "kube") async throws -> String {
        let client = try ChildProcess.launch(try PythonTools.python(),
                                             [try PythonTools.clientScript("oidc_mock_token.py"), "--issuer", issuerURL,
                                              "--sub", sub, "--client-id", clientID],
                                             options: LaunchOptions(label: "oidc_mock_token \(sub)"))
        guard try await client.waitForExit(timeout: .seconds(30)) == .exited(0) else {
            throw HarnessError("getting a token failed\n\(client.report)")
        }
        return client.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() async {
        await process.terminate()
    }

    static func with<T>(userClaims: [JSONValue], _ body: (ProviderMock) async throws -> T) async throws -> T {
        let provider = try await start(userClaims: userClaims)
        do {
            let value = try await body(provider)
            await provider.stop()
            return value
        } catch {
            await provider.stop()
            throw error
        }
    }
}
