import Crypto
import Foundation
import Intercept
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Proxy
import TestSupport
import X509

// Shared by the TLS*Tests suites: CAs made the way an operator would make them (with
// swift-certificates directly, and with the openssl CLI), a tiny HTTPS server that serves the
// gateway's contexts, and independent TLS clients (Python's ssl module, OpenSSL, curl).

// MARK: - CAs made outside the gateway's code

/// A certificate and its key, made with swift-certificates directly (not through the gateway's code).
struct TestCA {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    var pem: String { ((try? certificate.serializeAsPEM().pemString) ?? "") + "\n" }

    /// A self-signed root: "the cluster CA".
    static func root(name: String = "cluster-ca", pathLength: Int? = nil,
                     notValidBefore: Date = Date().addingTimeInterval(-3_600),
                     notValidAfter: Date = Date().addingTimeInterval(365 * 86_400)) throws -> TestCA {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: .init(key))
        return TestCA(certificate: certificate, key: key)
    }

    /// A certificate for a fresh P-256 key, signed by this one, with the given extensions.
    func issue(name: String, notValidBefore: Date = Date().addingTimeInterval(-3_600),
               notValidAfter: Date = Date().addingTimeInterval(180 * 86_400),
               extensions: (Certificate.PublicKey) throws -> Certificate.Extensions) throws -> TestCA {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: publicKey,
            notValidBefore: notValidBefore, notValidAfter: notValidAfter,
            issuer: self.certificate.subject, subject: try DistinguishedName { CommonName(name) },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: try extensions(publicKey),
            issuerPrivateKey: .init(self.key))
        return TestCA(certificate: certificate, key: key)
    }

    /// An intermediate CA limited to signing leaves (pathLen 0), as a cluster admin would sign for the gateway.
    func intermediate(name: String = "portcullis-gateway-intermediate",
                      notValidBefore: Date = Date().addingTimeInterval(-3_600),
                      notValidAfter: Date = Date().addingTimeInterval(180 * 86_400)) throws -> TestCA {
        let issuerKeyID = SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        return try issue(name: name, notValidBefore: notValidBefore, notValidAfter: notValidAfter) { publicKey in
            try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: issuerKeyID)
            }
        }
    }

    /// Writes the certificate, followed by `chain`, to NAME.crt and the key to NAME.key with `keyMode`.
    @discardableResult
    func write(to directory: TemporaryDirectory, name: String, chain: [TestCA] = [],
               keyMode: mode_t = 0o600) throws -> (certificate: String, key: String) {
        let certificatePath = try directory.write(([self] + chain).map(\.pem).joined(), to: name + ".crt")
        let keyPath = try directory.write(key.pemRepresentation + "\n", to: name + ".key")
        try changeMode(keyPath, keyMode)
        return (certificatePath, keyPath)
    }
}

func changeMode(_ path: String, _ mode: mode_t) throws {
    guard chmod(path, mode) == 0 else { throw HarnessError("chmod \(String(mode, radix: 8)) \(path): errno \(errno)") }
}

/// The mode bits of `path`, read with stat(2).
func fileMode(_ path: String) throws -> mode_t {
    var status = stat()
    guard stat(path, &status) == 0 else { throw HarnessError("stat \(path): errno \(errno)") }
    return status.st_mode & 0o7777
}

/// The subject alternative names of `certificate` as text: `DNS:name` or `IP:address`.
func subjectAlternativeNames(_ certificate: Certificate) throws -> [String] {
    guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
    return names.map { name in
        switch name {
        case .dnsName(let text): return "DNS:" + text
        case .ipAddress(let octets):
            return "IP:" + (IPAddress(bytes: octets.bytes).map(\.description) ?? "invalid \(Array(octets.bytes))")
        default: return "other:\(name)"
        }
    }
}

/// A cluster CA and a pathLen-0 intermediate made with the openssl CLI, as a kubeadm-style operator would.
struct OpenSSLCluster {
    let rootCertificate: String
    let intermediateCertificate: String
    let intermediateKey: String

    static let rsa2048 = ["-newkey", "rsa:2048"]
    static let p384 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]

    /// - Parameter traditionalKey: convert the intermediate's key from PKCS#8 to PKCS#1 / SEC1.
    static func make(in directory: TemporaryDirectory, root rootKey: [String] = rsa2048,
                     intermediate intermediateKey: [String] = rsa2048, traditionalKey: Bool = false,
                     intermediateExtensions: String = """
                         basicConstraints=critical,CA:TRUE,pathlen:0
                         keyUsage=critical,digitalSignature,keyCertSign,cRLSign
                         subjectKeyIdentifier=hash
                         authorityKeyIdentifier=keyid:always
                         """) async throws -> OpenSSLCluster {
        let root = directory.path("cluster-ca.crt"), rootKeyPath = directory.path("cluster-ca.key")
        let certificate = directory.path("gateway-ca.crt"), key = directory.path("gateway-ca.key")
        let request = directory.path("gateway-ca.csr")
        let extensions = try directory.write(intermediateExtensions + "\n", to: "gateway-ca.ext")
        try await OpenSSL.check(["req", "-x509"] + rootKey + [
            "-nodes", "-keyout", rootKeyPath, "-out", root, "-days", "30", "-subj", "/CN=kubernetes",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"])
        try await OpenSSL.check(["req", "-new"] + intermediateKey + [
            "-nodes", "-keyout", key, "-out", request, "-subj", "/O=Portcullis/CN=portcullis-gateway-intermediate"])
        try await OpenSSL.check(["x509", "-req", "-in", request, "-CA", root, "-CAkey", rootKeyPath,
                                 "-set_serial", "4242", "-days", "30", "-sha256", "-extfile", extensions, "-out", certificate])
        if traditionalKey {
            try await OpenSSL.check(["pkey", "-in", key, "-traditional", "-out", key + ".traditional"])
            guard rename(key + ".traditional", key) == 0 else { throw HarnessError("rename \(key): errno \(errno)") }
        }
        try changeMode(key, 0o600)
        return OpenSSLCluster(rootCertificate: root, intermediateCertificate: certificate, intermediateKey: key)
    }
}

// MARK: - Independent clients

/// What one external command did.
struct ToolResult: CustomStringConvertible {
    let status: ExitStatus
    let standardOutput: String
    let standardError: String
    let commandLine: [String]

    /// Standard output, then standard error.
    var output: String { standardOutput + "\n" + standardError }

    var description: String {
        "\(commandLine.joined(separator: " ")) → \(status)\n--- stdout ---\n\(standardOutput)\n--- stderr ---\n\(standardError)"
    }
}

enum ExternalTool {
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> ToolResult {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError("missing \(executable) (scripts/setup.sh installs it)")
        }
        let process = try ChildProcess.launch(executable, arguments,
                                              options: LaunchOptions(environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]))
        let status = try await process.waitForExit(timeout: timeout)
        return ToolResult(status: status, standardOutput: process.standardOutput,
                          standardError: process.standardError, commandLine: process.commandLine)
    }
}

enum OpenSSL {
    static let path = "/usr/bin/openssl"

    static func run(_ arguments: [String]) async throws -> ToolResult {
        try await ExternalTool.run(path, arguments)
    }

    @discardableResult
    static func check(_ arguments: [String]) async throws -> ToolResult {
        let result = try await run(arguments)
        guard result.status.isSuccess else { throw HarnessError("openssl failed: \(result)") }
        return result
    }

    /// `openssl s_client` against `host:port`, verifying against `caFile` and failing on any
    /// verification error. `serverName` nil sends no SNI (`-noservername`) and checks the IP SAN.
    static func connect(host: String, port: Int, caFile: String, serverName: String?,
                        alpn: String = "http/1.1", extra: [String] = []) async throws -> ToolResult {
        let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var arguments = ["s_client", "-connect", target, "-CAfile", caFile, "-verify_return_error",
                         "-alpn", alpn]
        if let serverName {
            arguments += ["-servername", serverName, "-verify_hostname", serverName]
        } else {
            arguments += ["-noservername", "-verify_ip", host]
        }
        return try await run(arguments + extra)
    }
}

/// What the Python ssl client saw.
struct PythonTLSResult: Decodable, CustomStringConvertible {
    let ok: Bool
    let alpn: String?
    let version: String?
    let subjectAltName: [[String]]?
    let response: String?
    let verifyError: Bool?
    let error: String?

    var description: String {
        ok ? "ok alpn=\(alpn ?? "none") version=\(version ?? "?") sans=\(subjectAltName ?? [])"
            : "failed (verifyError=\(verifyError ?? false)): \(error ?? "?")"
    }
}

enum PythonTLSClient {
    /// Connects with `ssl.create_default_context(cafile:)` (hostname checking on), sends `GET /version`
    /// and reports the outcome as JSON. `serverHostname` is what the client checks the certificate
    /// against; when it is an IP literal, Python sends no SNI and checks the IP SAN.
    static let script = #"""
import json, socket, ssl, sys
host, port, cafile, name, alpn = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=cafile)
if alpn:
    ctx.set_alpn_protocols(alpn.split(","))
try:
    with socket.create_connection((host, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=name) as tls:
            tls.sendall(b"GET /version HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
            body = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                body += chunk
            cert = tls.getpeercert()
            result = {"ok": True, "alpn": tls.selected_alpn_protocol(), "version": tls.version(),
                      "subjectAltName": [list(x) for x in cert.get("subjectAltName", ())],
                      "response": body.decode("utf-8", "replace")}
except ssl.SSLCertVerificationError as e:
    result = {"ok": False, "verifyError": True, "error": "%s: %s" % (e.verify_message, e)}
except Exception as e:
    result = {"ok": False, "verifyError": False, "error": repr(e)}
print(json.dumps(result))
"""#

    static func python() throws -> String {
        let debian = "/usr/bin/python3"
        return FileManager.default.isExecutableFile(atPath: debian) ? debian : try PythonTools.python()
    }

    static func connect(host: String, port: Int, caFile: String, serverHostname: String? = nil,
                        alpn: [String] = ["http/1.1"]) async throws -> PythonTLSResult {
        let result = try await ExternalTool.run(try python(), ["-c", script, host, String(port), caFile,
                                                               serverHostname ?? host, alpn.joined(separator: ",")])
        guard result.status.isSuccess, let line = result.standardOutput.split(separator: "\n").last else {
            throw HarnessError("the Python TLS client failed: \(result)")
        }
        return try JSONDecoder().decode(PythonTLSResult.self, from: Data(line.utf8))
    }
}

enum Curl {
    /// `curl --cacert caFile URL`, printing the body then the HTTP version on a last line.
    static func get(_ url: String, caFile: String, resolve: String? = nil) async throws -> ToolResult {
        var arguments = ["-sS", "--max-time", "20", "--cacert", caFile, "-w", "\n%{http_version}", url]
        if let resolve { arguments += ["--resolve", resolve] }
        return try await ExternalTool.run("/usr/bin/curl", arguments)
    }
}

// MARK: - A tiny HTTPS server serving the gateway's context

/// An HTTPS server on a loopback address that presents a ``ServingCertificateStore`` context and
/// answers every request with a Kubernetes `/version` document.
final class TLSTestServer: Sendable {
    static let versionBody = #"{"major":"1","minor":"32","gitVersion":"v1.32.0-portcullis-tls-test","platform":"linux/amd64"}"#

    let channel: Channel
    let host: String
    let port: Int

    private init(channel: Channel, host: String, port: Int) {
        self.channel = channel
        self.host = host
        self.port = port
    }

    static func start(host: String, context: NIOSSLContext) async throws -> TLSTestServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(VersionResponder())
                }
            }
            .bind(host: host, port: 0).get()
        guard let port = channel.localAddress?.port else { throw HarnessError("the test server has no port") }
        return TLSTestServer(channel: channel, host: host, port: port)
    }

    /// `https://host:port` (brackets for IPv6).
    var url: String { host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)" }

    func stop() async {
        try? await channel.close()
    }

    /// Runs `body` with a server for `context` on `host`, stopping it afterwards.
    static func with<T>(host: String, context: NIOSSLContext,
                        _ body: (TLSTestServer) async throws -> T) async throws -> T {
        let server = try await start(host: host, context: context)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}

/// Answers each request with ``TLSTestServer/versionBody``.
final class VersionResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(TLSTestServer.versionBody.utf8.count))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: TLSTestServer.versionBody)))), promise: nil)
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in loopBound.value.close(promise: nil) }
            }
        }
    }

    /// Failed handshakes (the client rejected the certificate) end here.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

// MARK: - kubectl

enum KubectlConfig {
    /// A kubeconfig for `server` trusting `caFile` through certificate-authority-data, as a kubeconfig
    /// that predates the gateway would; with `tls-server-name` when `serverName` is given.
    static func write(to directory: TemporaryDirectory, name: String, server: String, caFile: String,
                      serverName: String? = nil) throws -> String {
        let caData = try Data(contentsOf: URL(fileURLWithPath: caFile)).base64EncodedString()
        let serverNameLine = serverName.map { "\n    tls-server-name: \($0)" } ?? ""
        return try directory.write("""
            apiVersion: v1
            kind: Config
            clusters:
            - name: cluster
              cluster:
                server: \(server)
                certificate-authority-data: \(caData)\(serverNameLine)
            contexts:
            - name: agent
              context:
                cluster: cluster
                user: agent
            current-context: agent
            users:
            - name: agent
              user:
                token: not-a-real-token
            """ + "\n", to: name)
    }
}
