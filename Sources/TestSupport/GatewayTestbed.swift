import Foundation
import Kube

/// The whole gateway in namespaces, as on a runner host:
/// - the **cluster host** runs `portcullis-sandbox` on 198.18.0.2:6443;
/// - the **agent host** runs oidc-provider-mock (plain http on loopback) and `portcullis up` as the
///   gateway uid, with the rules steering 198.18.0.2:6443 into it;
/// - kubectl runs on the agent host as ``InterceptTestbed/agentUID`` with a kubeconfig that points at
///   the cluster's own address and gets its token from an exec credential plugin.
///
/// With ``CAMode/intermediateOfClusterCA`` the gateway CA is an intermediate signed by the sandbox's
/// CA, and the agent's kubeconfig trusts only the sandbox's CA, as an unchanged kubeconfig would.
///
/// The policy is ``policyPath`` (`policy`, allow-everything unless a test gives one); tests rewrite
/// it with ``writePolicy(_:)``. The admin socket is ``adminSocketPath``, for root and the group
/// ``adminGID``.
///
/// The recording is ``storePath``; with `storeBytes` it lives on a tmpfs of that size
/// (``storeDisk``), which a test can fill to make the store unwritable. `commitDelay` sets the
/// store's group-commit window (a long one widens any gap between a reply and its record).
/// `gatewayOptions` are further `gateway:` fields (e.g. `["maxConnectionsPerCaller": "8"]`).
public struct GatewayTestbed: Sendable {
    public enum CAMode: Sendable { case generated, intermediateOfClusterCA }

    public static let subject = "agent-7"
    public static let clientID = "portcullis"
    /// The username and groups the gateway verifies for the agent's tokens.
    public static let username = "oidc:agent-7"
    public static let groups = ["oidc:ai-agents", "oidc:runners"]
    /// The admin socket's group (numeric; no group entry needed).
    public static let adminGID: UInt32 = 64_992
    /// Where `GET /metrics` answers, on the agent host's loopback.
    public static let metricsPort = 19_464
    /// A policy that allows every authenticated request.
    public static let allowEverything = "defaultEffect: allow\nrules: []\n"

    public let hosts: TestHosts
    public let sandbox: SandboxCluster
    /// The first `portcullis up` (``restartGateway()`` returns the next ones).
    public let gateway: ChildProcess
    /// The gateway's files, issuers and processes, as ``FleetTestbed`` has them per agent host.
    public let instance: GatewayInstance
    public var work: TemporaryDirectory { instance.work }
    public var issuerURL: String { instance.issuerURL }
    /// A second issuer whose keys the tests hold (Tests/clients/oidc_mint.py, PyJWT): for tokens
    /// that are wrong in every way a real provider would never produce.
    public var mintingIssuerURL: String { instance.mintingIssuerURL }
    public var configPath: String { instance.configPath }
    public var storePath: String { instance.storePath }
    public var storeDisk: TmpfsMount? { instance.storeDisk }
    public var policyPath: String { instance.policyPath }
    public var adminSocketPath: String { instance.adminSocketPath }
    /// The agent's kubeconfig: the cluster's address, the trusted CA, and the exec plugin.
    public var kubeconfigPath: String { instance.kubeconfigPath }
    /// The CA the agent's kubeconfig trusts: the gateway CA, or the sandbox's for an intermediate.
    public var trustedCAPath: String { instance.trustedCAPath }
    public var agent: NetworkNamespace { hosts.agent }

    public static func with<T>(caMode: CAMode = .generated, logIntervalMilliseconds: Int = 100, storeBytes: Int? = nil,
                               commitDelay: String = "2ms", policy: String = allowEverything,
                               gatewayEnvironment: [String: String] = [:], extraIssuers: [String] = [], tamperInterval: String = "1s",
                               gatewayOptions: [String: String] = [:], storeDurability: String? = nil, sandboxArguments: [String] = [],
                               storeOptions: [String: String] = [:],
                               _ body: (GatewayTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        return try await TestHosts.withAgentAndCluster { hosts in
            let sandbox = try await SandboxCluster.start(in: hosts.cluster, listen: "\(TestHosts.clusterAddress):6443",
                                                         logIntervalMilliseconds: logIntervalMilliseconds,
                                                         extraArguments: sandboxArguments)
            let options = GatewayOptions(caMode: caMode, storeBytes: storeBytes, commitDelay: commitDelay, policy: policy,
                                         environment: gatewayEnvironment, extraIssuers: extraIssuers, tamperInterval: tamperInterval,
                                         gatewayFields: gatewayOptions, storeDurability: storeDurability, storeFields: storeOptions)
            let instance = try await GatewayInstance.prepare(hostName: "agent", address: TestHosts.agentAddress, agent: hosts.agent,
                                                             sandbox: sandbox, options: options)
            defer { instance.remove() }
            let gateway = try await instance.start()
            let result = try await body(GatewayTestbed(hosts: hosts, sandbox: sandbox, gateway: gateway, instance: instance))
            try sandbox.requireRunning()
            await sandbox.stop()
            return result
        }
    }

    /// Tokens from the minting issuer, one per spec (see Tests/clients/oidc_mint.py).
    public func mint(_ specs: [JSONValue]) async throws -> [String] {
        try await instance.mint(specs)
    }

    /// kubectl 1.`minor` on the agent host as the agent's uid, with the agent's kubeconfig or `kubeconfig`.
    public func kubectl(minor: Int = 32, kubeconfig: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Kubectl {
        try instance.kubectl(minor: minor, kubeconfig: kubeconfig, extraEnvironment: extraEnvironment)
    }

    /// A kubeconfig like the agent's that names the API server `server` (e.g. by a host name the
    /// gateway's configuration does not list).
    public func kubeconfig(server: String) throws -> String {
        try instance.kubeconfig(server: server)
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` on the test host as root, as an operator reads
    /// the recording.
    public func portcullis(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try instance.portcullis(arguments, timeout: timeout)
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` as root inside the agent host, where the rules
    /// steer connections to the cluster (e.g. `doctor --cluster`).
    public func portcullisOnAgentHost(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try instance.portcullisOnAgentHost(arguments, timeout: timeout)
    }

    /// Stops the gateway with SIGTERM and starts `portcullis up` again on the same configuration and
    /// store, once it says it is ready. The caller may end the new process; the testbed ends it too.
    public func restartGateway() async throws -> ChildProcess {
        try await instance.restart()
    }

    /// Scrapes the gateway's metrics on the agent host and parses them with prometheus_client
    /// (Tests/clients/prom_scrape.py): `families` (name → type) and `samples`.
    public func scrapeMetrics() throws -> JSONValue {
        try instance.scrapeMetrics()
    }

    /// Replaces the policy file as an editor does (a new file renamed over the old one).
    public func writePolicy(_ text: String) throws {
        try instance.writePolicy(text)
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` as `uid` with only the group `gid`.
    public func portcullis(_ arguments: [String], uid: UInt32, gid: UInt32, timeout: Duration = .seconds(60)) async throws -> HostCommandResult {
        try await instance.portcullis(arguments, uid: uid, gid: gid, timeout: timeout)
    }

    /// The first gateway's JSON event lines of kind `event`.
    public func events(_ event: String) -> [JSONValue] { InterceptTestbed.events(gateway, kind: event) }
}
