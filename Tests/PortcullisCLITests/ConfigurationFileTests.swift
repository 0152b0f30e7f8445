import Foundation
import Intercept
import Proxy
import Testing
import TestSupport

@testable import portcullis

@Suite struct ConfigurationFileTests {
    func load(_ yaml: String) throws -> GatewayConfiguration {
        let directory = try TemporaryDirectory.create(purpose: "config")
        defer { directory.remove() }
        return try GatewayConfiguration.load(path: try directory.write(yaml, to: "portcullis.yaml"))
    }

    func error(_ yaml: String) -> String {
        do {
            _ = try load(yaml)
            return "no error"
        } catch let error as ConfigurationError {
            return (error.line.map { "line \($0): " } ?? "") + "\(error.field): \(error.message)"
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func theExampleLoads() throws {
        let configuration = try GatewayConfiguration.load(path: try Products.packageRoot() + "/examples/portcullis.yaml")
        #expect(configuration.intercept.gatewayUID == 990)
        #expect(configuration.intercept.proxyPort == 15443)
        #expect(configuration.intercept.queueNumber == 4242)
        #expect(configuration.intercept.bridgeInterfaces == ["docker0", "br-+", "cni0"])
        #expect(configuration.intercept.endpoints.map(\.description) == ["10.0.0.10:6443", "10.96.0.1:443", "[fd00:10::10]:6443", "127.0.0.1:6443"])
        #expect(configuration.clusterNames == ["prod", "local"])
    }

    @Test func theExamplesGatewaySectionsLoad() throws {
        let c = try GatewayConfiguration.load(path: try Products.packageRoot() + "/examples/portcullis.yaml")
        #expect(c.tls?.caKey == "/etc/portcullis/ca.key")
        #expect(c.tls?.certificateLifetime == .seconds(72 * 3600))
        #expect(c.stateDirectory == "/var/lib/portcullis")
        let auth = try #require(c.authentication)
        #expect(auth.tokenHeader == "Authorization")
        let issuer = try #require(auth.issuers.first)
        #expect(issuer.issuerURL == "https://issuer.example.com")
        #expect(issuer.audiences == ["portcullis"])
        #expect(issuer.usernamePrefix == "oidc:")
        #expect(issuer.groupsClaim == "groups")
        #expect(issuer.extraClaims == ["email"])
        #expect(issuer.signingAlgorithms == ["RS256", "ES256"])
        #expect(issuer.clockSkew == .seconds(60))
        #expect(!issuer.allowInsecureHTTPIssuer)
        #expect(c.clusters.map(\.tokenFile) == ["/etc/portcullis/clusters/prod.token", nil])
        #expect(c.clusters.map(\.clientKey) == [nil, "/etc/portcullis/clusters/local.key"])
        #expect(c.storePath == "/var/lib/portcullis/recording.sqlite")
        #expect(c.store.bodyLimit == 1 << 20)
        #expect(c.store.queueLimit == 10_000)
        #expect(c.store.commitDelay == .zero)
        #expect(c.store.redactedHeaders == ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"])
        #expect(c.store.redactSecrets)
        #expect(c.clientLimits == ClientLimits(), "the example spells out the defaults")
    }

    @Test func theStoreDefaultsToTheStateDirectory() throws {
        let c = try load("gateway: {uid: 990, stateDirectory: /srv/gw}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
        #expect(c.storePath == "/srv/gw/recording.sqlite")
        #expect(c.store == StoreSection())
        let sized = try load("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\nstore: {bodyLimit: 64KiB, redaction: {secrets: false}}\n")
        #expect(sized.store.bodyLimit == 65536)
        #expect(!sized.store.redactSecrets)
    }

    @Test func durationsAsOperatorsWriteThem() {
        #expect(DurationText.parse("2ms") == .milliseconds(2))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("30d") == .seconds(30 * 86_400))
        #expect(DurationText.parse("1m500ms") == .milliseconds(60_500))
        for bad in ["", "5", "ms", "5x", "-5s", "99999999999999999999d", "1.5h"] {
            #expect(DurationText.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func storeSectionMistakesAreNamed() {
        let base = "gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n"
        #expect(error(base + "store: {path: relative.sqlite}\n").contains("store.path: expected an absolute path, got 'relative.sqlite'"))
        #expect(error(base + "store: {bodyLimit: 2TB}\n").contains("store.bodyLimit: expected a size"))
        #expect(error(base + "store: {bodyLimit: 1GiB}\n").contains("store.bodyLimit: expected a size from 0 to 268435456"))
        #expect(error(base + "store: {queueLimit: 0}\n").contains("store.queueLimit: expected a whole number"))
        #expect(error(base + "store: {commitDelay: 2s}\n").contains("store.commitDelay: expected at most 1s"))
        #expect(error(base + "store: {commitDelay: soon}\n").contains("store.commitDelay: expected a duration"))
        #expect(error(base + "store: {redaction: {secrets: maybe}}\n").contains("store.redaction.secrets: expected true or false"))
        #expect(error(base + "store: {retention: 30d}\n").contains("store.retention: unknown field"))
    }

    @Test func gatewaySectionMistakesAreNamed() {
        let base = "gateway: {uid: 990}\n"
        #expect(error(base + "clusters: [{name: a, endpoints: ['10.0.0.1:6443'], tokenFile: t, clientCertificate: c, clientKey: k}]\n")
                .contains("give either tokenFile or clientCertificate and clientKey"))
        #expect(error(base + "clusters: [{name: a, endpoints: ['10.0.0.1:6443'], clientCertificate: c}]\n")
                .contains("clientCertificate and clientKey go together"))
        #expect(error(base + "tls: {caCertificate: a, caKey: b, certificateLifetime: soon}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("tls.certificateLifetime: expected a duration"))
        #expect(error(base + "authentication: {issuers: [{issuerURL: 'https://i', clientIDs: [x], userClaim: sub}]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("authentication.issuers[0].userClaim: unknown field"))
        #expect(error(base + "authentication: {issuers: [{issuerURL: 'https://i'}]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("clientIDs is required"))
    }

    @Test func clientLimitsAreReadFromTheGatewaySection() throws {
        let base = "clusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n"
        #expect(try load("gateway: {uid: 990}\n" + base).clientLimits == ClientLimits())
        let c = try load("gateway: {uid: 990, maxConnectionsPerCaller: 16, requestHeaderTimeout: 5s, idleTimeout: 2m, minRequestBodyRate: 1KiB}\n" + base)
        #expect(c.clientLimits.maxConnectionsPerCaller == 16)
        #expect(c.clientLimits.requestHeaderTimeout == .seconds(5))
        #expect(c.clientLimits.idleTimeout == .seconds(120))
        #expect(c.clientLimits.minRequestBodyRate == 1024)
        #expect(try load("gateway: {uid: 990, minRequestBodyRate: 0}\n" + base).clientLimits.minRequestBodyRate == 0)
        #expect(error("gateway: {uid: 990, maxConnectionsPerCaller: 0}\n" + base).contains("gateway.maxConnectionsPerCaller: expected a whole number from 1"))
        #expect(error("gateway: {uid: 990, requestHeaderTimeout: 500ms}\n" + base).contains("gateway.requestHeaderTimeout: expected from 1s to 10m"))
        #expect(error("gateway: {uid: 990, idleTimeout: forever}\n" + base).contains("gateway.idleTimeout: expected a duration"))
        #expect(error("gateway: {uid: 990, minRequestBodyRate: fast}\n" + base).contains("gateway.minRequestBodyRate: expected a size"))
    }

    @Test func defaultsApplyWhenOptionalFieldsAreAbsent() throws {
        let c = try load("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
        #expect(c.intercept.proxyPort == 15443)
        #expect(c.intercept.queueNumber == 4242)
        #expect(c.intercept.backend == .auto)
    }

    @Test func mistakesAreNamedWithTheirLineAndField() {
        #expect(error("gateway: {uid: 990, prxyPort: 1}\nclusters: []\n").contains("gateway.prxyPort: unknown field"))
        #expect(error("gateway:\n  uid: portcullis\nclusters: []\n") == "line 2: gateway.uid: expected a whole number from 1 to 4294967295, got 'portcullis'")
        #expect(error("gateway: {uid: 0}\nclusters: []\n").contains("gateway.uid: expected a whole number from 1"))
        #expect(error("gateway: {uid: 990}\n") == "clusters: required section is missing")
        #expect(error("gateway: {uid: 990}\nclusters:\n  - name: a\n    endpoints: ['10.0.0.1']\n").contains("clusters[0].endpoints[0]: endpoint \"10.0.0.1\": expected HOST:PORT"))
        #expect(error("gateway: {uid: 990, proxyPort: 6443}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n").contains("uses the gateway's own port 6443"))
        #expect(error("gateway: {uid: 990, iptablesBackend: iptables}\nclusters: []\n").contains("expected one of auto, nft, legacy"))
        #expect(error("gateway: {uid: 990, bridges: ['a very long bridge name']}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n").contains("is not an interface name"))
        #expect(error("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}, {name: a, endpoints: ['10.0.0.2:6443']}]\n").contains("used twice"))
        #expect(error("gateway: [1, 2\n").contains("not valid YAML"))
    }

    @Test func namesResolveToEveryAddress() throws {
        struct Resolver: HostResolver {
            func addresses(of host: String) throws(ResolutionError) -> [IPAddress] {
                guard host == "api.test" else { throw ResolutionError(host: host, message: "unknown") }
                return [IPAddress("198.18.0.3"), IPAddress("fd00::3"), IPAddress("::ffff:198.18.0.4")].compactMap { $0 }
            }
        }
        let c = try load("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['api.test:6443', '198.18.0.3:6443']}]\n")
        let resolved = try c.intercept.resolveEndpoints(using: Resolver())
        #expect(resolved.endpoints(.v4).map { $0.address.withPort($0.port) } == ["198.18.0.3:6443", "198.18.0.4:6443"])
        #expect(resolved.addresses(.v6) == [IPAddress("fd00::3")].compactMap { $0 })
        #expect(resolved.cluster(for: try #require(IPAddress("::ffff:198.18.0.3")), port: 6443) == "a")
    }
}
