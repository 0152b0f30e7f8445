import Foundation
import Kube
import Synchronization

/// One gateway as on a runner host: its work directory (configuration, gateway CA, cluster
/// credential, policy, state directory and store), the two OIDC issuers on its agent host's
/// loopback, `portcullis up` there as ``InterceptTestbed/gatewayUID``, and the agent's kubeconfig.
/// ``GatewayTestbed`` has one; ``FleetTestbed`` has one per agent host.
///
/// Invariants:
/// - ``prepare(hostName:address:agent:sandbox:options:extraSection:)`` leaves everything ready but
///   the gateway itself; ``start()`` runs it and returns once it printed its ready event.
/// - At most one `portcullis up` of an instance runs at a time; every run is kept, oldest first,
///   so ``events(_:)`` sees a gateway's whole life across restarts.
/// - ``remove()`` kills every process the instance started, unmounts the store's tmpfs, and deletes
///   the work directory with the state directory in it. It is idempotent, and the registry
///   (processes, directory, mount) covers an interrupted test run.
public final class GatewayInstance: Sendable {
    /// The name of the host the gateway runs on (`runner-a`, ...; `agent` in a ``GatewayTestbed``).
    public let hostName: String
    /// The agent host's address.
    public let address: String
    public let agent: NetworkNamespace
    public let work: TemporaryDirectory
    public let sandbox: SandboxCluster
    public let issuerURL: String
    /// A second issuer whose keys the tests hold (Tests/clients/oidc_mint.py, PyJWT).
    public let mintingIssuerURL: String
    let mintingDirectory: String
    public let configPath: String
    public let storePath: String
    public let storeDisk: TmpfsMount?
    public let policyPath: String
    /// The agent's kubeconfig: the cluster's address, the trusted CA, and the exec plugin.
    public let kubeconfigPath: String
    /// The CA the agent's kubeconfig trusts: the gateway CA, or the sandbox's for an intermediate.
    public let trustedCAPath: String
    public var adminSocketPath: String { work.path("state/admin/admin.sock") }
    /// The gateway's state directory (`stateDirectory` in the configuration).
    public var stateDirectory: String { work.path("state") }
    private let environment: [String: String]?
    /// The issuers and every `portcullis up`: kept alive until ``remove()``.
    private let kept: StartedProcesses
    private let runs = Mutex<[ChildProcess]>([])

    private init(hostName: String, address: String, agent: NetworkNamespace, work: TemporaryDirectory, sandbox: SandboxCluster,
                 issuerURL: String, mintingIssuerURL: String, mintingDirectory: String, configPath: String, storePath: String,
                 storeDisk: TmpfsMount?, policyPath: String, kubeconfigPath: String, trustedCAPath: String,
                 environment: [String: String]?, kept: StartedProcesses) {
        self.hostName = hostName
        self.address = address
        self.agent = agent
        self.work = work
        self.sandbox = sandbox
        self.issuerURL = issuerURL
        self.mintingIssuerURL = mintingIssuerURL
        self.mintingDirectory = mintingDirectory
        self.configPath = configPath
        self.storePath = storePath
        self.storeDisk = storeDisk
        self.policyPath = policyPath
        self.kubeconfigPath = kubeconfigPath
        self.trustedCAPath = trustedCAPath
        self.environment = environment
        self.kept = kept
    }

    // MARK: Preparing

    /// Makes a work directory (mode 755), starts the issuers on `agent`, writes the policy and the
    /// configuration for a gateway in front of `sandbox` (reached at ``TestHosts/clusterAddress``),
    /// runs `portcullis init`, hands the cluster token to the gateway uid and writes the kubeconfig.
    /// `extraSection` gets the work directory before the configuration is written and may return
    /// top-level YAML to append to it. On failure, whatever was made is removed.
    public static func prepare(hostName: String, address: String, agent: NetworkNamespace, sandbox: SandboxCluster,
                               options: GatewayOptions = GatewayOptions(),
                               extraSection: (TemporaryDirectory) throws -> String? = { _ in nil }) async throws -> GatewayInstance {
        let work = try TemporaryDirectory.create(purpose: "gateway")
        let kept = StartedProcesses()
        var storeDisk: TmpfsMount?
        do {
            guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path) to other uids") }
            let issuer = try await AgentIssuers.startProvider(in: agent, host: options.issuerHost, kept: kept)
            let minting = try work.makeDirectory("minting-issuer")
            let mintingURL = try await AgentIssuers.startMinting(in: agent, directory: minting, host: options.issuerHost, kept: kept)
            if let bytes = options.storeBytes {
                storeDisk = try TmpfsMount.mount(at: try work.makeDirectory("store"), bytes: bytes, owner: InterceptTestbed.gatewayUID)
            }
            let storePath = storeDisk.map { $0.path + "/recording.sqlite" } ?? work.path("state/recording.sqlite")
            let policyPath = try work.write(options.policy, to: "policy.yaml")
            let config = try GatewayFiles.writeConfiguration(work: work, issuerURL: issuer, mintingIssuerURL: mintingURL, storePath: storePath,
                                                             policyPath: policyPath, options: options, extraSection: try extraSection(work))
            try GatewayFiles.prepare(work: work, configPath: config, agent: agent, sandbox: sandbox, caMode: options.caMode,
                                     relay: options.relay)
            let trusted = options.caMode == .generated ? work.path("tls/ca.crt") : sandbox.caCertificatePath
            let kubeconfig = try GatewayFiles.writeKubeconfig(work: work, issuerURL: issuer, trusted: trusted)
            let environment = options.environment.isEmpty ? nil
                : ProcessInfo.processInfo.environment.merging(options.environment) { _, new in new }
            return GatewayInstance(hostName: hostName, address: address, agent: agent, work: work, sandbox: sandbox, issuerURL: issuer,
                                   mintingIssuerURL: mintingURL, mintingDirectory: minting, configPath: config, storePath: storePath,
                                   storeDisk: storeDisk, policyPath: policyPath, kubeconfigPath: kubeconfig, trustedCAPath: trusted,
                                   environment: environment, kept: kept)
        } catch {
            storeDisk?.unmount()
            kept.killAll()
            work.remove()
            throw error
        }
    }

    // MARK: Running the gateway

    /// Runs `portcullis up` on the agent host as the gateway uid (CAP_NET_ADMIN and CAP_NET_RAW
    /// only, as its systemd unit does) and returns it once it printed its ready event. Throws if a
    /// run of this instance is still going.
    @discardableResult
    public func start() async throws -> ChildProcess {
        if let running = process, running.isRunning {
            throw HarnessError("the gateway on \(hostName) is already running (pid \(running.processIdentifier))")
        }
        let again = !runs.withLock { $0.isEmpty }
        let label = "portcullis up" + (hostName == "agent" ? "" : " on \(hostName)") + (again ? " (again)" : "")
        let next = kept.keep(try agent.launch(try Products.gateway(), ["up", "--config", configPath],
                                              options: LaunchOptions(runAs: .gateway(uid: InterceptTestbed.gatewayUID),
                                                                     environment: environment, label: label, mountsCgroupHierarchy: true)))
        runs.withLock { $0.append(next) }
        try await next.waitForLine(containing: "\"event\":\"ready\"", timeout: .seconds(60))
        return next
    }

    /// The latest `portcullis up`, running or not; `nil` before the first ``start()``.
    public var process: ChildProcess? { runs.withLock { $0.last } }

    /// Every `portcullis up` of this instance, oldest first.
    public var allRuns: [ChildProcess] { runs.withLock { $0 } }

    /// Stops the running gateway with SIGTERM (SIGKILL after `grace`) and returns how it ended;
    /// `nil` if it could not be stopped. Returns the earlier status if it was not running.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> ExitStatus? {
        guard let process else { return nil }
        return await process.terminate(grace: grace)
    }

    /// Sends `signal` to the running gateway and waits for it to end: with SIGKILL, the crash
    /// (`kill -9`) a restarted gateway must recover from.
    @discardableResult
    public func kill(signal: Int32 = SIGKILL, timeout: Duration = .seconds(20)) async throws -> ExitStatus {
        guard let process, process.isRunning else { throw HarnessError("no gateway is running on \(hostName) to signal") }
        process.signal(signal)
        return try await process.waitForExit(timeout: timeout)
    }

    /// Stops the gateway with SIGTERM if it runs, and starts `portcullis up` again on the same
    /// configuration and store, once it says it is ready.
    @discardableResult
    public func restart() async throws -> ChildProcess {
        if let process, await process.terminate(grace: .seconds(10)) == nil {
            throw HarnessError("the gateway on \(hostName) did not stop\n\(process.report)")
        }
        return try await start()
    }

    /// The JSON event lines of kind `event` of every run, oldest first.
    public func events(_ event: String) -> [JSONValue] {
        allRuns.flatMap { InterceptTestbed.events($0, kind: event) }
    }

    // MARK: Clients

    /// kubectl 1.`minor` on the agent host as the agent's uid, with the agent's kubeconfig or `kubeconfig`.
    public func kubectl(minor: Int = 32, kubeconfig: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Kubectl {
        try Kubectl(binary: Kubectl.binary(minor: minor), kubeconfig: kubeconfig ?? kubeconfigPath, namespace: agent,
                    runAs: RunAs(uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID), extraEnvironment: extraEnvironment)
    }

    /// A kubeconfig like the agent's that names the API server `server` (e.g. by a host name the
    /// gateway's configuration does not list).
    public func kubeconfig(server: String) throws -> String {
        try GatewayFiles.writeKubeconfig(work: work, issuerURL: issuerURL, trusted: trustedCAPath, server: server,
                                         name: "agent-\(String(server.map { $0.isLetter || $0.isNumber ? $0 : "-" })).kubeconfig")
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` on the test host as root, as an operator reads
    /// the recording.
    public func portcullis(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try HostCommand.run(try Products.gateway(), arguments + ["--config", configPath], timeout: timeout)
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` as root inside the agent host, for commands that
    /// reach other hosts over the network (e.g. `central migrate`).
    public func portcullisOnAgentHost(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try agent.run(try Products.gateway(), arguments + ["--config", configPath], timeout: timeout)
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` as `uid` with only the group `gid`.
    public func portcullis(_ arguments: [String], uid: UInt32, gid: UInt32, timeout: Duration = .seconds(60)) async throws -> HostCommandResult {
        let process = try ChildProcess.launch(try Products.gateway(), arguments + ["--config", configPath],
                                              options: LaunchOptions(runAs: RunAs(uid: uid, gid: gid), label: "portcullis \(arguments.first ?? "")"))
        let status = try await process.waitForExit(timeout: timeout)
        return HostCommandResult(command: "portcullis \(arguments.joined(separator: " "))", status: status, standardOutput: process.standardOutput, standardError: process.standardError)
    }

    /// Scrapes the gateway's metrics on the agent host and parses them with prometheus_client
    /// (Tests/clients/prom_scrape.py): `families` (name → type) and `samples`.
    public func scrapeMetrics() throws -> JSONValue {
        let result = try agent.run(try PythonTools.python(), [try PythonTools.clientScript("prom_scrape.py"),
                                                             "http://127.0.0.1:\(GatewayTestbed.metricsPort)/metrics"])
        guard result.status.isSuccess else { throw HarnessError("scraping the metrics on \(hostName) failed: \(result)") }
        return try JSONParser.parse(result.standardOutput)
    }

    /// Replaces the policy file as an editor does (a new file renamed over the old one).
    public func writePolicy(_ text: String) throws {
        let temporary = policyPath + ".new"
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard chmod(temporary, 0o644) == 0, rename(temporary, policyPath) == 0 else {
            throw HarnessError("cannot replace \(policyPath): errno \(errno)")
        }
    }

    /// Tokens from the minting issuer, one per spec (see Tests/clients/oidc_mint.py).
    public func mint(_ specs: [JSONValue]) async throws -> [String] {
        let process = try ChildProcess.launch(try PythonTools.python(),
                                              [try PythonTools.clientScript("oidc_mint.py"), "mint", "--dir", mintingDirectory],
                                              options: LaunchOptions(standardInput: .bytes(JSONValue.array(specs).jsonBytes())))
        guard try await process.waitForExit(timeout: .seconds(60)) == .exited(0) else { throw HarnessError("minting failed\n\(process.report)") }
        return try JSONParser.parse(process.standardOutput).arrayValue?.compactMap(\.stringValue) ?? []
    }

    // MARK: Removing

    /// Kills the gateway and the issuers, unmounts the store's tmpfs, and deletes the work directory
    /// (state directory and store included): what destroying an ephemeral runner does. Idempotent.
    public func remove() {
        storeDisk?.unmount()
        kept.killAll()
        work.remove()
    }
}
