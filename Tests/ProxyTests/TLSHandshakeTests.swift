import Foundation
import Intercept
import NIOSSL
import Proxy
import Testing
import TestSupport

/// Real handshakes: the gateway's contexts served by NIO on loopback, checked by clients that share
/// none of its code (Python's ssl module, OpenSSL's s_client, curl).
@Suite("TLS handshakes with independent clients")
struct TLSHandshakeTests {
    static let serverName = "kubernetes.portcullis.test"

    /// A generated gateway CA written to a fresh directory, and a store on it.
    struct Gateway {
        let directory: TemporaryDirectory
        let caFile: String
        let store: ServingCertificateStore

        init() throws {
            directory = try TemporaryDirectory.create(purpose: "tls-handshake")
            caFile = directory.path("gateway-ca.crt")
            let authority = try GatewayCertificateAuthority.create(certificatePath: caFile, keyPath: directory.path("gateway-ca.key"),
                                                                   hostname: "runner")
            store = try ServingCertificateStore(authority: authority)
        }

        func context(for host: String) throws -> NIOSSLContext {
            try store.sslContext(destination: IPAddress(host)!, serverNames: [TLSHandshakeTests.serverName])
        }
    }

    @Test("an IP-literal client (no SNI) verifies the IP SAN against the gateway CA and negotiates http/1.1",
          arguments: ["127.0.0.1", "::1"])
    func ipLiteralClientVerifies(host: String) async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: host, context: try gateway.context(for: host)) { server in
            let python = try await PythonTLSClient.connect(host: host, port: server.port, caFile: gateway.caFile)
            #expect(python.ok, "\(python)")
            #expect(python.alpn == "http/1.1")
            #expect(python.version == "TLSv1.3")
            #expect(python.response?.contains(TLSTestServer.versionBody) == true)

            let openssl = try await OpenSSL.connect(host: host, port: server.port, caFile: gateway.caFile, serverName: nil)
            #expect(openssl.status.isSuccess, "\(openssl)")
            #expect(openssl.output.contains("Verify return code: 0 (ok)"), "\(openssl)")
            #expect(openssl.output.contains("ALPN protocol: http/1.1"), "\(openssl)")

            let curl = try await Curl.get(server.url + "/version", caFile: gateway.caFile)
            #expect(curl.status.isSuccess, "\(curl)")
            #expect(curl.standardOutput == TLSTestServer.versionBody + "\n1.1", "\(curl)")
        }
    }

    @Test("a client dialling a configured server name sends it as SNI and verifies", arguments: ["127.0.0.1", "::1"])
    func configuredNameVerifies(host: String) async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: host, context: try gateway.context(for: host)) { server in
            let python = try await PythonTLSClient.connect(host: host, port: server.port, caFile: gateway.caFile,
                                                           serverHostname: Self.serverName)
            #expect(python.ok, "\(python)")
            #expect(python.alpn == "http/1.1")
            #expect(python.subjectAltName?.contains(["DNS", Self.serverName]) == true)

            let openssl = try await OpenSSL.connect(host: host, port: server.port, caFile: gateway.caFile,
                                                    serverName: Self.serverName)
            #expect(openssl.status.isSuccess, "\(openssl)")
            #expect(openssl.output.contains("Verify return code: 0 (ok)"), "\(openssl)")

            let address = host.contains(":") ? "[\(host)]" : host
            let curl = try await Curl.get("https://\(Self.serverName):\(server.port)/version", caFile: gateway.caFile,
                                          resolve: "\(Self.serverName):\(server.port):\(address)")
            #expect(curl.status.isSuccess, "\(curl)")
            #expect(curl.standardOutput.hasSuffix("\n1.1"), "\(curl)")
        }
    }

    @Test("a client asking for a host name the configuration does not list gets a leaf for it, the IP and the configured names",
          arguments: ["127.0.0.1", "::1"])
    func requestedNameVerifies(host: String) async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: host, context: try gateway.context(for: host)) { server in
            let python = try await PythonTLSClient.connect(host: host, port: server.port, caFile: gateway.caFile,
                                                           serverHostname: "API.Example.Test")
            #expect(python.ok, "\(python)")
            #expect(python.subjectAltName?.contains(["DNS", "api.example.test"]) == true, "\(python)")

            let address = host.contains(":") ? "[\(host)]" : host
            let curl = try await Curl.get("https://api.example.test:\(server.port)/version", caFile: gateway.caFile,
                                          resolve: "api.example.test:\(server.port):\(address)")
            #expect(curl.status.isSuccess, "\(curl)")

            let leaf = try await Self.servedLeafSANs(port: server.port, host: host, serverName: "api.example.test", in: gateway)
            #expect(leaf.contains("DNS:api.example.test"), "\(leaf)")
            #expect(leaf.contains("DNS:\(Self.serverName)"), "\(leaf)")
            #expect(leaf.contains(host == "::1" ? "IP Address:0:0:0:0:0:0:0:1" : "IP Address:127.0.0.1"), "\(leaf)")
            // A configured name and no SNI keep the destination's own leaf: no requested name was minted for them.
            _ = try await PythonTLSClient.connect(host: host, port: server.port, caFile: gateway.caFile, serverHostname: Self.serverName)
            _ = try await PythonTLSClient.connect(host: host, port: server.port, caFile: gateway.caFile)
            #expect(gateway.store.requestedNameCount == 1)
        }
    }

    @Test("a server name that is not a host name is never put in a certificate, and the client fails verification",
          arguments: ["*.example.test", "bad_name.example", "10.0.0.1.", "x..example"])
    func invalidRequestedNameFails(name: String) async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: "127.0.0.1", context: try gateway.context(for: "127.0.0.1")) { server in
            let openssl = try await OpenSSL.connect(host: "127.0.0.1", port: server.port, caFile: gateway.caFile,
                                                    serverName: name)
            #expect(!openssl.status.isSuccess, "\(openssl)")
            let leaf = try await Self.servedLeafSANs(port: server.port, host: "127.0.0.1", serverName: name, in: gateway)
            #expect(leaf.contains("IP Address:127.0.0.1"), "\(leaf)")
            #expect(leaf.contains("DNS:\(Self.serverName)"), "\(leaf)")
            #expect(!leaf.contains(name.trimmingCharacters(in: CharacterSet(charactersIn: ".*"))), "\(leaf)")
            #expect(gateway.store.requestedNameCount == 0)
        }
    }

    /// The subjectAltName text of the leaf served to `serverName`, read without verification.
    static func servedLeafSANs(port: Int, host: String, serverName: String, in gateway: Gateway) async throws -> String {
        let address = host.contains(":") ? "[\(host)]" : host
        let shown = try await OpenSSL.run(["s_client", "-connect", "\(address):\(port)", "-servername", serverName, "-showcerts"])
        let leafPEM = try #require(Self.firstCertificate(in: shown.standardOutput), "\(shown)")
        let leafFile = try gateway.directory.write(leafPEM, to: "served-leaf-\(UUID().uuidString).pem")
        return try await OpenSSL.check(["x509", "-in", leafFile, "-noout", "-ext", "subjectAltName"]).standardOutput
    }

    @Test("a client that trusts another CA fails verification")
    func otherCAFails() async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        let stranger = try TestCA.root(name: "stranger")
        let strangerFile = try gateway.directory.write(stranger.pem, to: "stranger.crt")
        try await TLSTestServer.with(host: "127.0.0.1", context: try gateway.context(for: "127.0.0.1")) { server in
            let python = try await PythonTLSClient.connect(host: "127.0.0.1", port: server.port, caFile: strangerFile)
            #expect(!python.ok)
            #expect(python.verifyError == true, "\(python)")
            let curl = try await Curl.get(server.url + "/version", caFile: strangerFile)
            #expect(!curl.status.isSuccess, "\(curl)")
        }
    }

    @Test("ALPN offers http/1.1 only: an h2-only client gets no protocol, an h2+http/1.1 client gets http/1.1")
    func alpnIsHTTP1Only() async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: "127.0.0.1", context: try gateway.context(for: "127.0.0.1")) { server in
            let h2Only = try await PythonTLSClient.connect(host: "127.0.0.1", port: server.port, caFile: gateway.caFile,
                                                           alpn: ["h2"])
            #expect(h2Only.ok, "\(h2Only)")
            #expect(h2Only.alpn == nil, "\(h2Only)")
            let both = try await PythonTLSClient.connect(host: "127.0.0.1", port: server.port, caFile: gateway.caFile,
                                                         alpn: ["h2", "http/1.1"])
            #expect(both.alpn == "http/1.1", "\(both)")
        }
    }

    @Test("TLS 1.1 is refused and TLS 1.2 is accepted")
    func minimumVersion() async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: "127.0.0.1", context: try gateway.context(for: "127.0.0.1")) { server in
            // Security level 0 lets this OpenSSL offer TLS 1.1 at all, so only the server can refuse it.
            let old = try await OpenSSL.connect(host: "127.0.0.1", port: server.port, caFile: gateway.caFile, serverName: nil,
                                                extra: ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
            #expect(!old.status.isSuccess, "\(old)")
            #expect(old.output.contains("alert protocol version"), "\(old)")
            #expect(old.output.contains("no peer certificate available"), "\(old)")
            let tls12 = try await OpenSSL.connect(host: "127.0.0.1", port: server.port, caFile: gateway.caFile, serverName: nil,
                                                  extra: ["-tls1_2"])
            #expect(tls12.status.isSuccess, "\(tls12)")
            #expect(tls12.output.contains("Protocol  : TLSv1.2"), "\(tls12)")
        }
    }

    @Test("the served chain is the leaf then the gateway CA")
    func servedChain() async throws {
        let gateway = try Gateway()
        defer { gateway.directory.remove() }
        try await TLSTestServer.with(host: "127.0.0.1", context: try gateway.context(for: "127.0.0.1")) { server in
            let shown = try await OpenSSL.run(["s_client", "-connect", "127.0.0.1:\(server.port)", "-noservername", "-showcerts"])
            #expect(shown.standardOutput.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 == 2, "\(shown)")
            #expect(shown.standardOutput.contains("1 s:O = Portcullis, CN = Portcullis gateway CA runner"), "\(shown)")
        }
    }

    static func firstCertificate(in text: String) -> String? {
        guard let start = text.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = text.range(of: "-----END CERTIFICATE-----", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.lowerBound..<end.upperBound]) + "\n"
    }
}
