import Foundation
import Intercept
import Proxy
import Testing
import TestSupport
import X509

/// The operator-supplied case: the gateway CA is an intermediate signed by the cluster's own CA, so a
/// kubeconfig that trusts only the cluster CA (its certificate-authority-data) keeps working unchanged.
@Suite("Gateway CA as an intermediate of the cluster CA")
struct TLSIntermediateCATests {
    static let serverName = "kubernetes.default.svc"

    /// A cluster root and a pathLen-0 intermediate (made with swift-certificates, not the gateway's
    /// code), written to files; the intermediate loaded as the gateway CA.
    struct Cluster {
        let directory: TemporaryDirectory
        let rootFile: String
        let store: ServingCertificateStore

        init(includeRootInChain: Bool = false) throws {
            directory = try TemporaryDirectory.create(purpose: "tls-intermediate")
            let root = try TestCA.root(name: "kubernetes")
            rootFile = try directory.write(root.pem, to: "cluster-ca.crt")
            let intermediate = try root.intermediate()
            let files = try intermediate.write(to: directory, name: "gateway-ca", chain: includeRootInChain ? [root] : [])
            let authority = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: files.key)
            #expect(try authority.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
            store = try ServingCertificateStore(authority: authority)
        }
    }

    @Test("Python trusting only the cluster root verifies the served chain, by IP and by configured name",
          arguments: [false, true])
    func pythonTrustsRootOnly(includeRootInChain: Bool) async throws {
        let cluster = try Cluster(includeRootInChain: includeRootInChain)
        defer { cluster.directory.remove() }
        let context = try cluster.store.sslContext(destination: IPAddress("127.0.0.1")!, serverNames: [Self.serverName])
        try await TLSTestServer.with(host: "127.0.0.1", context: context) { server in
            let byIP = try await PythonTLSClient.connect(host: "127.0.0.1", port: server.port, caFile: cluster.rootFile)
            #expect(byIP.ok, "\(byIP)")
            #expect(byIP.alpn == "http/1.1")
            let byName = try await PythonTLSClient.connect(host: "127.0.0.1", port: server.port, caFile: cluster.rootFile,
                                                           serverHostname: Self.serverName)
            #expect(byName.ok, "\(byName)")
            let openssl = try await OpenSSL.connect(host: "127.0.0.1", port: server.port, caFile: cluster.rootFile, serverName: nil)
            #expect(openssl.status.isSuccess, "\(openssl)")
            #expect(openssl.output.contains("Verify return code: 0 (ok)"), "\(openssl)")
        }
    }

    @Test("without the intermediate in the served chain a root-only client could not verify: the chain is what makes it work")
    func intermediateIsServed() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        let served = try cluster.store.servingCertificate(destination: IPAddress("127.0.0.1")!, serverNames: [])
        #expect(served.chain.count == 2)
        #expect(served.chain[1] == cluster.store.authority.certificate)
        // The leaf alone, checked against the root alone, does not verify: OpenSSL needs the intermediate.
        let leafFile = try cluster.directory.write(try served.leaf.serializeAsPEM().pemString + "\n", to: "leaf.pem")
        let alone = try await OpenSSL.run(["verify", "-CAfile", cluster.rootFile, leafFile])
        #expect(!alone.status.isSuccess, "\(alone)")
        let intermediateFile = try cluster.directory.write(try served.chain[1].serializeAsPEM().pemString + "\n", to: "int.pem")
        let withChain = try await OpenSSL.run(["verify", "-CAfile", cluster.rootFile, "-untrusted", intermediateFile,
                                               "-purpose", "sslserver", leafFile])
        #expect(withChain.status.isSuccess, "\(withChain)")
    }

    @Test("kubectl with an unchanged kubeconfig (certificate-authority-data = the cluster root) gets /version through the gateway's certificate")
    func kubectlAcceptsChain() async throws {
        let cluster = try Cluster()
        defer { cluster.directory.remove() }
        try await Self.checkKubectl(store: cluster.store, rootFile: cluster.rootFile, directory: cluster.directory)
    }

    @Test("kubectl accepts the chain of an RSA intermediate made with openssl under an RSA cluster CA (kubeadm style)")
    func kubectlAcceptsOpenSSLRSAChain() async throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-kubeadm")
        defer { directory.remove() }
        let made = try await OpenSSLCluster.make(in: directory)
        let authority = try GatewayCertificateAuthority.load(certificatePath: made.intermediateCertificate,
                                                             keyPath: made.intermediateKey)
        try await Self.checkKubectl(store: try ServingCertificateStore(authority: authority), rootFile: made.rootCertificate,
                                    directory: directory)
    }

    /// kubectl 1.32 against a server on 127.0.0.1 presenting the store's context: by IP, by a configured
    /// name (tls-server-name), by a host name the configuration does not list (served too), and the two
    /// failures (a name that is not a host name, another root).
    static func checkKubectl(store: ServingCertificateStore, rootFile: String, directory: TemporaryDirectory) async throws {
        let context = try store.sslContext(destination: IPAddress("127.0.0.1")!, serverNames: [serverName])
        try await TLSTestServer.with(host: "127.0.0.1", context: context) { server in
            let byIP = try KubectlConfig.write(to: directory, name: "by-ip.kubeconfig", server: server.url, caFile: rootFile)
            let ok = try await runKubectl(kubeconfig: byIP, ["get", "--raw", "/version"])
            #expect(ok.status.isSuccess, "\(ok)")
            #expect(ok.standardOutput.contains("v1.32.0-portcullis-tls-test"), "\(ok)")

            let byName = try KubectlConfig.write(to: directory, name: "by-name.kubeconfig", server: server.url,
                                                 caFile: rootFile, serverName: serverName)
            let named = try await runKubectl(kubeconfig: byName, ["get", "--raw", "/version"])
            #expect(named.status.isSuccess, "\(named)")

            let unlisted = try KubectlConfig.write(to: directory, name: "unlisted-name.kubeconfig", server: server.url,
                                                   caFile: rootFile, serverName: "not-configured.example")
            let served = try await runKubectl(kubeconfig: unlisted, ["get", "--raw", "/version"])
            #expect(served.status.isSuccess, "\(served)")

            let wrongName = try KubectlConfig.write(to: directory, name: "wrong-name.kubeconfig", server: server.url,
                                                    caFile: rootFile, serverName: "not_a_host.example")
            let refused = try await runKubectl(kubeconfig: wrongName, ["get", "--raw", "/version"])
            #expect(!refused.status.isSuccess, "\(refused)")
            #expect(refused.standardError.contains("x509: certificate is valid for"), "\(refused)")

            let stranger = try directory.write(try TestCA.root(name: "stranger").pem, to: "stranger.crt")
            let otherRoot = try KubectlConfig.write(to: directory, name: "other-root.kubeconfig", server: server.url,
                                                    caFile: stranger)
            let untrusted = try await runKubectl(kubeconfig: otherRoot, ["get", "--raw", "/version"])
            #expect(!untrusted.status.isSuccess, "\(untrusted)")
            #expect(untrusted.standardError.contains("x509: certificate signed by unknown authority"), "\(untrusted)")
        }
    }

    static func runKubectl(kubeconfig: String, _ arguments: [String]) async throws -> KubectlResult {
        let kubectl = try Kubectl(kubeconfig: kubeconfig, namespace: nil)
        defer { kubectl.remove() }
        return try await kubectl.run(arguments + ["--request-timeout", "20s"], timeout: .seconds(60))
    }
}
