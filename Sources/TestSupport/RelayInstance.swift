import Foundation
import Kube
import Synchronization

/// One relay as on its own host (issue 16): its work directory (relay.yaml, the relay CA, the
/// cluster's CA and credential, the policy, the state directory with the store and the gateway
/// registry), and `portcullis relay` in the relay's namespace as ``uid``.
///
/// Invariants: ``prepare(in:sandbox:issuers:extraSection:)`` runs `portcullis relay init`, so the
/// CA and the state directory exist and belong to ``uid``; ``start()`` returns once the relay
/// printed its ready event; every run is kept, oldest first; ``remove()`` kills them and deletes
/// the work directory (idempotent; the registry covers an interrupted run).
public final class RelayInstance: Sendable {
    public static let uid: UInt32 = 64_995
    public static let port = 8443
    /// The relay's cluster name: the sandbox, as the gateways name it too.
    public static let cluster = "sandbox"

    public let host: NetworkNamespace
    public let work: TemporaryDirectory
    public let configPath: String
    public let policyPath: String
    public var address: String { "\(RelayHosts.relayAddress):\(Self.port)" }
    public var storePath: String { work.path("state/recording.sqlite") }
    public var registryPath: String { work.path("state/gateways.json") }
    public var adminSocketPath: String { work.path("state/admin/admin.sock") }
    public var caCertificatePath: String { work.path("tls/ca.crt") }
    private let kept: StartedProcesses
    private let runs = Mutex<[ChildProcess]>([])

    private init(host: NetworkNamespace, work: TemporaryDirectory, configPath: String, policyPath: String, kept: StartedProcesses) {
        self.host = host
        self.work = work
        self.configPath = configPath
        self.policyPath = policyPath
        self.kept = kept
    }

    /// Writes relay.yaml (listening on the relay's address, trusting `issuers`, with the sandbox as
    /// its one cluster and its admin token as the relay's credential), then `extraSection` (e.g.
    /// `central:`), and runs `portcullis relay init`.
    public static func prepare(in host: NetworkNamespace, sandbox: SandboxCluster, issuers: [String],
                               policy: String = GatewayTestbed.allowEverything,
                               extraSection: (TemporaryDirectory) throws -> String? = { _ in nil }) throws -> RelayInstance {
        let work = try TemporaryDirectory.create(purpose: "relay")
        do {
            guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path) to other uids") }
            let policyPath = try work.write(policy, to: "policy.yaml")
            try FileManager.default.copyItem(atPath: sandbox.caCertificatePath, toPath: work.path("cluster-ca.crt"))
            let tokens = try String(contentsOfFile: sandbox.tokenFilePath, encoding: .utf8)
            guard let admin = tokens.split(separator: "\n").first(where: { $0.contains(",admin,") })?.split(separator: ",").first else {
                throw HarnessError("no admin token in \(sandbox.tokenFilePath)")
            }
            let token = try work.write(admin + "\n", to: "cluster.token")
            guard chmod(token, 0o600) == 0, chown(token, uid, uid) == 0 else { throw HarnessError("cannot hand \(token) to uid \(uid)") }
            let issuerSections = issuers.enumerated().map { index, url in
                """
                    - issuerURL: \(url)
                      clientIDs: [\(GatewayTestbed.clientID)]
                      usernamePrefix: "\(index == 0 ? "oidc:" : "minted:")"\(index == 0 ? "\n      groupsClaim: groups\n      groupsPrefix: \"oidc:\"\n      extraClaims: [email]" : "")
                      allowInsecureHTTPIssuer: true
                """
            }.joined(separator: "\n")
            let text = """
                relay:
                  uid: \(uid)
                  listen: ["\(RelayHosts.relayAddress):\(port)"]
                  serverNames: ["\(RelayHosts.relayAddress)", "relay.test"]
                  stateDirectory: \(work.path)/state
                tls:
                  caCertificate: \(work.path)/tls/ca.crt
                  caKey: \(work.path)/tls/ca.key
                authentication:
                  issuers:
                \(issuerSections)
                clusters:
                  - name: \(cluster)
                    endpoints: ["\(RelayHosts.clusterAddress):6443"]
                    caFile: \(work.path)/cluster-ca.crt
                    tokenFile: \(work.path)/cluster.token
                store:
                  path: \(work.path)/state/recording.sqlite
                  commitDelay: 2ms
                policy:
                  file: \(policyPath)
                admin:
                  group: "\(GatewayTestbed.adminGID)"
                metrics:
                  listen: 127.0.0.1:\(GatewayTestbed.metricsPort)

                """
            let extra = try extraSection(work).map { $0.hasSuffix("\n") ? $0 : $0 + "\n" } ?? ""
            let configPath = try work.write(text + extra, to: "relay.yaml")
            let initialized = try HostCommand.run(try Products.gateway(), ["relay", "init", "--config", configPath])
            guard initialized.status.isSuccess else { throw HarnessError("portcullis relay init failed: \(initialized)") }
            return RelayInstance(host: host, work: work, configPath: configPath, policyPath: policyPath, kept: StartedProcesses())
        } catch {
            work.remove()
            throw error
        }
    }

    // MARK: Gateways

    /// `portcullis relay enroll NAME`, then the three files into `gateway`'s work directory
    /// (`relay/`): the key owned by the gateway uid with mode 600, as an operator would copy them.
    @discardableResult
    public func enroll(_ gateway: GatewayInstance, name: String) throws -> HostCommandResult {
        let out = work.path("enrolled/\(name)")
        try FileManager.default.createDirectory(atPath: work.path("enrolled"), withIntermediateDirectories: true)
        let result = try HostCommand.run(try Products.gateway(), ["relay", "enroll", name, "--config", configPath, "--out", out,
                                                                  "--address", address])
        guard result.status.isSuccess else { throw HarnessError("portcullis relay enroll failed: \(result)") }
        let destination = gateway.work.path("relay")
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        guard chmod(destination, 0o755) == 0 else { throw HarnessError("cannot open \(destination)") }
        let gatewayUID = InterceptTestbed.gatewayUID
        for (file, mode, owner) in [("\(name).key", mode_t(0o600), gatewayUID), ("\(name).crt", 0o644, 0), ("relay-ca.crt", 0o644, 0)] {
            let target = destination + "/" + file
            try FileManager.default.copyItem(atPath: out + "/" + file, toPath: target)
            guard chmod(target, mode) == 0, chown(target, owner, owner) == 0 else { throw HarnessError("cannot hand \(target) to uid \(owner)") }
        }
        return result
    }

    /// `portcullis relay revoke NAME` on the relay's host, as root.
    public func revoke(_ name: String) throws -> HostCommandResult {
        try HostCommand.run(try Products.gateway(), ["relay", "revoke", name, "--config", configPath, "--reason", "test"])
    }

    // MARK: Running

    /// Runs `portcullis relay` in the relay's namespace as ``uid`` and returns it once it is ready.
    @discardableResult
    public func start() async throws -> ChildProcess {
        if let running = process, running.isRunning { throw HarnessError("the relay is already running (pid \(running.processIdentifier))") }
        let label = "portcullis relay" + (runs.withLock { $0.isEmpty } ? "" : " (again)")
        let next = kept.keep(try host.launch(try Products.gateway(), ["relay", "--config", configPath],
                                             options: LaunchOptions(runAs: RunAs(uid: Self.uid, gid: Self.uid), label: label)))
        runs.withLock { $0.append(next) }
        try await next.waitForLine(containing: "\"event\":\"ready\"", timeout: .seconds(60))
        return next
    }

    public var process: ChildProcess? { runs.withLock { $0.last } }

    /// Stops the running relay with SIGTERM.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> ExitStatus? {
        await process?.terminate(grace: grace)
    }

    /// The JSON event lines of kind `event` of every run, oldest first.
    public func events(_ event: String) -> [JSONValue] {
        runs.withLock { $0 }.flatMap { InterceptTestbed.events($0, kind: event) }
    }

    /// Runs `portcullis ARGUMENTS --config relay.yaml` as root, as an operator on the relay's host.
    public func portcullis(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try HostCommand.run(try Products.gateway(), arguments + ["--config", configPath], timeout: timeout)
    }

    /// The same inside the relay's namespace (for commands that reach other hosts).
    public func portcullisOnRelayHost(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try host.run(try Products.gateway(), arguments + ["--config", configPath], timeout: timeout)
    }

    /// Replaces the relay's policy file as an editor does.
    public func writePolicy(_ text: String) throws {
        let temporary = policyPath + ".new"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard chmod(temporary, 0o644) == 0, rename(temporary, policyPath) == 0 else {
            throw HarnessError("cannot replace \(policyPath): errno \(errno)")
        }
    }

    public func remove() {
        kept.killAll()
        work.remove()
    }
}
