import Foundation
import Kube
import NIOCore
import NIOPosix
import NIOSSL

/// Prepares the data directory and runs the sandbox until SIGTERM or SIGINT.
public enum SandboxRunner {
    public static func run(_ config: SandboxConfiguration) async throws {
        try makeDataDirectory(config.dataDirectory)
        let (tokens, generated) = try loadOrGenerateTokens(config)
        guard tokens.contains(where: { $0.user == config.kubeconfigUser }) else {
            throw SandboxSetupError("--kubeconfig-user \(config.kubeconfigUser) has no token in \(config.resolvedTokenFile)")
        }
        let impersonators = Set(config.impersonators.isEmpty && generated ? ["admin"] : config.impersonators)
        let certificates = try SandboxCertificates.prepare(directory: config.dataDirectory, names: certificateNames(config))
        let audit = try AuditLog(path: config.resolvedAuditLogPath)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let first = config.listen[0]
        if let rulesFile = config.rulesFile { _ = try SandboxRules.load(path: rulesFile) }
        let api = SandboxAPI(options: .init(kubernetesVersion: config.kubernetesVersion,
                                            serverAddress: hostPort(first.host, first.port), rulesFile: config.rulesFile))
        let services = SandboxServices(api: api, authenticator: Authenticator(tokens: tokens, impersonators: impersonators),
                                       audit: audit, logInterval: .milliseconds(Int64(max(1, config.logIntervalMilliseconds))))
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificates.servingCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certificates.servingKeyPEM.utf8), format: .pem)))
        let server: SandboxServer
        do {
            server = try await SandboxServer.start(addresses: config.listen, tls: tls, services: services, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw SandboxSetupError("cannot listen on \(config.listen.map { hostPort($0.host, $0.port) }.joined(separator: ", ")): \(error)")
        }
        let port = server.localAddresses.first?.port ?? first.port
        let url = "https://" + hostPort(first.host, port)
        try SecretFile.write(KubeconfigFile.render(server: url, caPEM: certificates.caCertificatePEM, tokens: tokens,
                                                   currentUser: config.kubeconfigUser),
                             to: config.resolvedKubeconfigPath, mode: 0o600)
        print("portcullis-sandbox: ready \(url) kubeconfig=\(config.resolvedKubeconfigPath)")
        fflush(nil)
        await TerminationSignal.wait()
        await server.close()
        audit.flush()
        try? await group.shutdownGracefully()
    }

    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func makeDataDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw SandboxSetupError("cannot create the data directory \(path): \(error.localizedDescription)")
        }
        chmod(path, 0o700)
    }

    private static func loadOrGenerateTokens(_ config: SandboxConfiguration) throws -> (tokens: [StaticToken], generated: Bool) {
        let path = config.resolvedTokenFile
        if FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SandboxSetupError("cannot read the token file \(path)")
            }
            let tokens = try StaticToken.parse(text, path: path)
            guard !tokens.isEmpty else { throw SandboxSetupError("the token file \(path) holds no tokens") }
            return (tokens, config.tokenFile == nil)
        }
        if config.tokenFile != nil { throw SandboxSetupError("the token file \(path) does not exist") }
        let tokens = [
            StaticToken(token: StaticToken.randomToken(), user: "admin", uid: "uid-admin", groups: ["system:masters"]),
            StaticToken(token: StaticToken.randomToken(), user: "developer", uid: "uid-developer", groups: ["developers"]),
        ]
        try SecretFile.write(tokens.map(\.line).joined(separator: "\n") + "\n", to: path, mode: 0o600)
        return (tokens, true)
    }

    private static func certificateNames(_ config: SandboxConfiguration) -> [String] {
        let wildcard: Set<String> = ["0.0.0.0", "::", ""]
        return config.listen.map(\.host).filter { !wildcard.contains($0) }
            + ["localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default", "kubernetes.default.svc"]
            + config.serverNames
    }
}

/// Waits for SIGTERM or SIGINT.
enum TerminationSignal {
    static func wait() async {
        let signals = AsyncStream<Int32> { continuation in
            let queue = DispatchQueue(label: "portcullis-sandbox.signals")
            nonisolated(unsafe) let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { continuation.yield(sig) }
                source.resume()
                return source
            }
            continuation.onTermination = { _ in sources.forEach { $0.cancel() } }
        }
        for await _ in signals { return }
    }
}
