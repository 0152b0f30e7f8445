import Foundation
import Intercept
import Proxy
import Testing
import TestSupport

@testable import portcullis

/// A relay's configuration (`relay:` instead of `gateway:`) and a gateway's clusters behind a
/// relay (`clusters[].relay`), as the loader reads and refuses them.
@Suite struct RelayConfigurationTests {
    let configurations = ConfigurationFileTests()

    @Test func theRelayExampleLoads() throws {
        let c = try GatewayConfiguration.load(path: try Products.packageRoot() + "/examples/relay.yaml")
        let relay = try #require(c.relay)
        #expect(c.isRelay)
        #expect(relay.uid == 991 && c.intercept.gatewayUID == 991)
        #expect(relay.listen.map(\.description) == ["0.0.0.0:8443"])
        #expect(relay.serverNames == ["relay.example.com", "10.0.0.5"])
        #expect(relay.clientLimits.maxConnectionsPerCaller == 1024)
        #expect(relay.registryPath == "/var/lib/portcullis-relay/gateways.json")
        #expect(c.stateDirectory == "/var/lib/portcullis-relay")
        #expect(c.adminSocketPath == "/var/lib/portcullis-relay/admin/admin.sock")
        #expect(c.clusterNames == ["prod"] && c.clusters.first?.tokenFile == "/etc/portcullis-relay/clusters/prod.token")
        #expect(c.intercept.endpoints.map(\.description) == ["10.0.0.10:6443"])
        #expect(c.authentication?.issuers.first?.issuerURL == "https://issuer.example.com")
    }

    @Test func aRelaysDefaultsAndMistakes() throws {
        let minimal = "relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: [relay.test]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n"
        let c = try configurations.load(minimal)
        #expect(c.relay?.stateDirectory == "/var/lib/portcullis-relay" && c.storePath == "/var/lib/portcullis-relay/recording.sqlite")
        #expect(configurations.error("relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: [relay.test]}\ngateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("a gateway's (gateway:) or a relay's (relay:), not both"))
        #expect(configurations.error("relay: {listen: ['0.0.0.0:8443'], serverNames: [r]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("relay: uid is required"))
        #expect(configurations.error("relay: {uid: 991, listen: ['relay.test:8443'], serverNames: [r]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("listen on an IP address"))
        #expect(configurations.error("relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: []}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("at least one name is required"))
        #expect(configurations.error("relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: ['bad_name!']}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443']}]\n")
                .contains("is not a DNS name or an IP address"))
        #expect(configurations.error("relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: [r]}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443'], relay: {address: 'x:1', caFile: c, clientCertificate: c, clientKey: k}}]\n")
                .contains("a relay's own clusters are reached directly"))
        #expect(configurations.error("relay: {uid: 991, listen: ['0.0.0.0:8443'], serverNames: [r]}\nclusters: []\n")
                .contains("at least one API endpoint is required"))
    }

    @Test func aGatewaysClusterBehindARelay() throws {
        let c = try configurations.load("""
            gateway: {uid: 990}
            clusters:
              - name: prod
                endpoints: ['10.0.0.10:6443']
                relay: {address: 'relay.example.com:8443', caFile: /r/ca.crt, clientCertificate: /r/gw.crt, clientKey: /r/gw.key}
              - name: staging
                endpoints: ['10.0.0.11:6443']
                relay: {address: '[fd00::6]:8443', serverName: relay.test, cluster: stage, caFile: /r/ca.crt, clientCertificate: /r/gw.crt, clientKey: /r/gw.key}
            """)
        let prod = try #require(c.clusters.first?.relay)
        #expect(prod.host == "relay.example.com" && prod.port == 8443 && prod.serverName == "relay.example.com" && prod.cluster == "prod")
        let staging = try #require(c.clusters.last?.relay)
        #expect(staging.host == "fd00::6" && staging.serverName == "relay.test" && staging.cluster == "stage")
        #expect(c.intercept.endpoints.count == 2, "the endpoints are still intercepted")
        #expect(configurations.error("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443'], tokenFile: /t, relay: {address: 'r:1', caFile: c, clientCertificate: c, clientKey: k}}]\n")
                .contains("a cluster reached through a relay holds no credential of its own: remove tokenFile"))
        #expect(configurations.error("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443'], relay: {address: 'r', caFile: c, clientCertificate: c, clientKey: k}}]\n")
                .contains("expected HOST:PORT"))
        #expect(configurations.error("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443'], relay: {address: 'r:1', caFile: c}}]\n")
                .contains("clientCertificate and clientKey are required"))
    }

    @Test func gatewayNamesAreLikeHostNames() {
        #expect(GatewayCertificateIssuer.problem(name: "runner-01") == nil)
        #expect(GatewayCertificateIssuer.problem(name: "ci.runner_7") == nil)
        #expect(GatewayCertificateIssuer.problem(name: "") != nil)
        #expect(GatewayCertificateIssuer.problem(name: "-lead") != nil)
        #expect(GatewayCertificateIssuer.problem(name: "a b") != nil)
        #expect(GatewayCertificateIssuer.problem(name: "runner/../x") != nil)
        #expect(GatewayCertificateIssuer.problem(name: String(repeating: "a", count: 65)) != nil)
    }

    @Test func theRelayModeCheckFindsLeftoverCredentialsBesideTheConfiguration() throws {
        let directory = try TemporaryDirectory.create(purpose: "relay-mode")
        defer { directory.remove() }
        let yaml = """
            gateway: {uid: 990, stateDirectory: \(directory.path)/state}
            tls: {caCertificate: \(directory.path)/ca.crt, caKey: \(directory.path)/ca.key}
            clusters:
              - name: prod
                endpoints: ['10.0.0.10:6443']
                relay: {address: 'r:1', caFile: \(directory.path)/relay/relay-ca.crt, clientCertificate: \(directory.path)/relay/gw.crt, clientKey: \(directory.path)/relay/gw.key}
            """
        let path = try directory.write(yaml, to: "portcullis.yaml")
        _ = try directory.write("-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----\n", to: "ca.key")
        _ = try directory.makeDirectory("relay")
        _ = try directory.write("-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----\n", to: "relay/gw.key")
        let configuration = try GatewayConfiguration.load(path: path)
        let clean = try #require(RelayModeCheck.finding(configuration, kubeconfigs: [], systemDirectories: [], serviceAccountToken: directory.path("none")))
        #expect(clean.ok, "the CA key and the relay key are allowed: \(clean.message)")
        let token = try directory.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlLWJ5dGVz\n", to: "prod.token")
        _ = try directory.makeDirectory("state")
        let key = try directory.write("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n", to: "state/old-client.key")
        let found = try #require(RelayModeCheck.finding(configuration, kubeconfigs: [], systemDirectories: [], serviceAccountToken: directory.path("none")))
        #expect(!found.ok && found.message.contains(token) && found.message.contains(key), "\(found.message)")
        #expect(found.message.contains("a bearer token") && found.message.contains("a private key"))
        let direct = try configurations.load("gateway: {uid: 990}\nclusters: [{name: a, endpoints: ['10.0.0.1:6443'], caFile: c, tokenFile: t}]\n")
        #expect(RelayModeCheck.finding(direct, kubeconfigs: [], systemDirectories: []) == nil, "no relay, no such check")
    }
}
