import ArgumentParser
import Foundation
import Sandbox

struct APIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "Serve the sandbox cluster over HTTPS until SIGTERM or SIGINT.",
        discussion: "Prints 'portcullis-sandbox: ready URL kubeconfig=PATH' once it is serving. See docs/sandbox.md.")

    @Option(name: .customLong("listen"), help: "HOST:PORT to serve on; repeatable; IPv6 as [::1]:6443. (default: 127.0.0.1:6443)")
    var listen: [String] = []

    @Option(name: .customLong("data-dir"), help: "Directory for the CA, certificates, tokens, kubeconfig and audit log (mode 0700).")
    var dataDirectory: String

    @Option(name: .customLong("token-file"), help: "Static tokens as token,user,uid,\"group1,group2\". (default: DATA_DIR/tokens.csv, generated if missing)")
    var tokenFile: String?

    @Option(name: .customLong("impersonator"), help: "A user allowed to send Impersonate-* headers; repeatable. (default: admin, for a generated token file)")
    var impersonators: [String] = []

    @Option(name: .customLong("server-name"), help: "An extra DNS name or IP for the serving certificate; repeatable.")
    var serverNames: [String] = []

    @Option(name: .customLong("kubeconfig"), help: "Where to write a kubeconfig for direct access. (default: DATA_DIR/kubeconfig)")
    var kubeconfig: String?

    @Option(name: .customLong("kubeconfig-user"), help: "Whose token the kubeconfig's current context uses.")
    var kubeconfigUser = "admin"

    @Option(name: .customLong("audit-log"), help: "audit.k8s.io/v1 Event JSON lines. (default: DATA_DIR/audit.log)")
    var auditLog: String?

    @Option(name: .customLong("kubernetes-version"), help: "The gitVersion /version reports.")
    var kubernetesVersion = "v1.32.5"

    @Option(name: .customLong("log-interval-ms"), help: "How often each container writes a log line, in milliseconds.")
    var logIntervalMilliseconds = 1000

    @Option(name: .customLong("rules-file"), help: "YAML: what SelfSubjectRulesReview reports per user (users: NAME: resourceRules, nonResourceRules). (default: everyone may do everything)")
    var rulesFile: String?

    func validate() throws {
        for address in listen where SandboxConfiguration.parseListenAddress(address) == nil {
            throw ValidationError("--listen \(address): expected HOST:PORT, or [IPv6]:PORT, with a port from 0 to 65535")
        }
        guard logIntervalMilliseconds > 0 else { throw ValidationError("--log-interval-ms must be positive, got \(logIntervalMilliseconds)") }
        let parts = kubernetesVersion.dropFirst(kubernetesVersion.hasPrefix("v") ? 1 : 0).split(separator: ".")
        guard parts.count >= 2, parts.prefix(2).allSatisfy({ Int($0) != nil }) else {
            throw ValidationError("--kubernetes-version \(kubernetesVersion): expected a version like v1.32.5")
        }
    }

    func run() async throws {
        var config = SandboxConfiguration(dataDirectory: dataDirectory)
        let addresses = listen.compactMap(SandboxConfiguration.parseListenAddress)
        if !addresses.isEmpty { config.listen = addresses }
        config.tokenFile = tokenFile
        config.impersonators = impersonators
        config.serverNames = serverNames
        config.kubeconfigPath = kubeconfig
        config.kubeconfigUser = kubeconfigUser
        config.auditLogPath = auditLog
        config.kubernetesVersion = kubernetesVersion
        config.logIntervalMilliseconds = logIntervalMilliseconds
        config.rulesFile = rulesFile
        do {
            try await SandboxRunner.run(config)
        } catch let error as SandboxSetupError {
            FileHandle.standardError.write(Data("portcullis-sandbox: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch let error as TokenFileError {
            FileHandle.standardError.write(Data("portcullis-sandbox: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
