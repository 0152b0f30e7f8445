import Foundation
import Kube
import Synchronization

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
    public let work: TemporaryDirectory
    public let sandbox: SandboxCluster
    public let gateway: ChildProcess
    public let issuerURL: String
    /// A second issuer whose keys the tests hold (Tests/clients/oidc_mint.py, PyJWT): for tokens
    /// that are wrong in every way a real provider would never produce.
    public let mintingIssuerURL: String
    let mintingDirectory: String
    public let configPath: String
    public let storePath: String
    public let storeDisk: TmpfsMount?
    public let policyPath: String
    /// The CA the agent's kubeconfig trusts: the gateway CA, or the sandbox's for an intermediate.
    public let trustedCAPath: String
    public var adminSocketPath: String { work.path("state/admin/admin.sock") }
    /// The agent's kubeconfig: the cluster's address, the trusted CA, and the exec plugin.
    public let kubeconfigPath: String
    public var agent: NetworkNamespace { hosts.agent }

    public static func with<T>(caMode: CAMode = .generated, logIntervalMilliseconds: Int = 100, storeBytes: Int? = nil,
                               commitDelay: String = "2ms", policy: String = allowEverything,
                               gatewayEnvironment: [String: String] = [:], extraIssuers: [String] = [], tamperInterval: String = "1s",
                               gatewayOptions: [String: String] = [:],
                               _ body: (GatewayTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        return try await TestHosts.withAgentAndCluster { hosts in
            let work = try TemporaryDirectory.create(purpose: "gateway")
            defer { work.remove() }
            guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path) to other uids") }
            let sandbox = try await SandboxCluster.start(in: hosts.cluster, listen: "\(TestHosts.clusterAddress):6443",
                                                         logIntervalMilliseconds: logIntervalMilliseconds)
            let kept = StartedProcesses()
            defer { kept.killAll() }
            let issuer = try await startIssuer(in: hosts.agent, kept: kept)
            let minting = try work.makeDirectory("minting-issuer")
            let mintingURL = try await startMintingIssuer(in: hosts.agent, directory: minting, kept: kept)
            var storeDisk: TmpfsMount?
            defer { storeDisk?.unmount() }
            if let storeBytes {
                storeDisk = try TmpfsMount.mount(at: try work.makeDirectory("store"), bytes: storeBytes, owner: InterceptTestbed.gatewayUID)
            }
            let storePath = storeDisk.map { $0.path + "/recording.sqlite" } ?? work.path("state/recording.sqlite")
            let policyPath = try work.write(policy, to: "policy.yaml")
            let config = try writeConfiguration(work: work, sandbox: sandbox, issuerURL: issuer, mintingIssuerURL: mintingURL,
                                                storePath: storePath, commitDelay: commitDelay, policyPath: policyPath,
                                                extraIssuers: extraIssuers, tamperInterval: tamperInterval, gatewayOptions: gatewayOptions)
            try prepare(work: work, configPath: config, agent: hosts.agent, sandbox: sandbox, caMode: caMode)
            let environment = gatewayEnvironment.isEmpty ? nil
                : ProcessInfo.processInfo.environment.merging(gatewayEnvironment) { _, new in new }
            let gateway = kept.keep(try hosts.agent.launch(try Products.gateway(), ["up", "--config", config],
                                                           options: LaunchOptions(runAs: .gateway(uid: InterceptTestbed.gatewayUID),
                                                                                  environment: environment, label: "portcullis up")))
            try await gateway.waitForLine(containing: "\"event\":\"ready\"", timeout: .seconds(60))
            let trusted = caMode == .generated ? work.path("tls/ca.crt") : sandbox.caCertificatePath
            let kubeconfig = try writeKubeconfig(work: work, issuerURL: issuer, trusted: trusted)
            let bed = GatewayTestbed(hosts: hosts, work: work, sandbox: sandbox, gateway: gateway, issuerURL: issuer,
                                     mintingIssuerURL: mintingURL, mintingDirectory: minting, configPath: config,
                                     storePath: storePath, storeDisk: storeDisk, policyPath: policyPath, trustedCAPath: trusted,
                                     kubeconfigPath: kubeconfig)
            let result = try await body(bed)
            try sandbox.requireRunning()
            await sandbox.stop()
            return result
        }
    }

    /// oidc-provider-mock on 127.0.0.1 in the agent namespace, once its discovery document answers.
    private static func startIssuer(in agent: NetworkNamespace, kept: StartedProcesses) async throws -> String {
        // Each test has its own namespace, so a fixed port never collides.
        let port = 18_080
        let claims = #"{"sub":"\#(subject)","email":"agent@example.com","groups":["ai-agents","runners"]}"#
        let process = kept.keep(try agent.launch(try PythonTools.python(), ["-m", "oidc_provider_mock", "--port", String(port),
                                                                            "--user-claims", claims],
                                                 options: LaunchOptions(label: "oidc-provider-mock")))
        let url = "http://127.0.0.1:\(port)"
        let probe = try Products.packageRoot() + "/Tests/clients/net_client.py"
        for _ in 0..<200 {
            guard process.isRunning else { throw HarnessError("oidc-provider-mock exited\n\(process.report)") }
            let result = try agent.run("/usr/bin/python3", [probe, "tcp", "127.0.0.1", String(port), "--timeout", "1"])
            if result.standardOutput.contains("\"connected\": true") { return url }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("oidc-provider-mock did not start listening on \(url)\n\(process.report)")
    }

    /// oidc_mint.py's JWKS and discovery server on loopback in the agent namespace.
    private static func startMintingIssuer(in agent: NetworkNamespace, directory: String, kept: StartedProcesses) async throws -> String {
        let process = kept.keep(try agent.launch(try PythonTools.python(),
                                                 [try PythonTools.clientScript("oidc_mint.py"), "serve", "--dir", directory],
                                                 options: LaunchOptions(label: "oidc_mint serve")))
        let line = try await process.waitForLine(containing: "listening ", timeout: .seconds(60))
        return String(line.split(separator: " ").last ?? "")
    }

    /// Tokens from the minting issuer, one per spec (see Tests/clients/oidc_mint.py).
    public func mint(_ specs: [JSONValue]) async throws -> [String] {
        let process = try ChildProcess.launch(try PythonTools.python(),
                                              [try PythonTools.clientScript("oidc_mint.py"), "mint", "--dir", mintingDirectory],
                                              options: LaunchOptions(standardInput: .bytes(JSONValue.array(specs).jsonBytes())))
        guard try await process.waitForExit(timeout: .seconds(60)) == .exited(0) else { throw HarnessError("minting failed\n\(process.report)") }
        return try JSONParser.parse(process.standardOutput).arrayValue?.compactMap(\.stringValue) ?? []
    }

    private static func writeConfiguration(work: TemporaryDirectory, sandbox: SandboxCluster, issuerURL: String,
                                           mintingIssuerURL: String, storePath: String, commitDelay: String,
                                           policyPath: String, extraIssuers: [String], tamperInterval: String,
                                           gatewayOptions: [String: String]) throws -> String {
        let extra = extraIssuers.map { "\n    - issuerURL: \($0)\n      clientIDs: [\(clientID)]\n      usernamePrefix: \"extra:\"\n      allowInsecureHTTPIssuer: true" }
            .joined()
        let text = """
            gateway:
              uid: \(InterceptTestbed.gatewayUID)
              proxyPort: \(InterceptTestbed.proxyPort)
              queue: \(InterceptTestbed.queue)
              bridges: []
              stateDirectory: \(work.path)/state
              tamperInterval: \(tamperInterval)\(gatewayOptions.sorted { $0.key < $1.key }.map { "\n  \($0.key): \($0.value)" }.joined())
            tls:
              caCertificate: \(work.path)/tls/ca.crt
              caKey: \(work.path)/tls/ca.key
            authentication:
              issuers:
                - issuerURL: \(issuerURL)
                  clientIDs: [\(clientID)]
                  usernamePrefix: "oidc:"
                  groupsClaim: groups
                  groupsPrefix: "oidc:"
                  extraClaims: [email]
                  allowInsecureHTTPIssuer: true
                - issuerURL: \(mintingIssuerURL)
                  clientIDs: [\(clientID)]
                  usernamePrefix: "minted:"
                  allowInsecureHTTPIssuer: true\(extra)
            clusters:
              - name: sandbox
                endpoints: ["\(TestHosts.clusterAddress):6443"]
                caFile: \(work.path)/cluster-ca.crt
                tokenFile: \(work.path)/cluster.token
            store:
              path: \(storePath)
              commitDelay: \(commitDelay)
            policy:
              file: \(policyPath)
            admin:
              group: "\(adminGID)"
            metrics:
              listen: 127.0.0.1:\(metricsPort)
            """
        return try work.write(text + "\n", to: "portcullis.yaml")
    }

    /// The gateway CA (generated by `portcullis init`, or an intermediate the test signs with the
    /// sandbox CA) and the gateway's cluster credential: the sandbox's impersonating admin token.
    private static func prepare(work: TemporaryDirectory, configPath: String, agent: NetworkNamespace, sandbox: SandboxCluster,
                                caMode: CAMode) throws {
        let uid = InterceptTestbed.gatewayUID
        let tls = try work.makeDirectory("tls")
        guard chmod(tls, 0o755) == 0 else { throw HarnessError("cannot open \(tls)") }
        if caMode == .intermediateOfClusterCA {
            try IntermediateCA.sign(directory: tls, rootCertificate: sandbox.caCertificatePath,
                                    rootKey: sandbox.dataDirectory + "/ca.key", owner: uid)
        }
        // The sandbox keeps its data directory to itself; the gateway gets a copy of its CA.
        try FileManager.default.copyItem(atPath: sandbox.caCertificatePath, toPath: work.path("cluster-ca.crt"))
        let initialized = try agent.run(try Products.gateway(), ["init", "--skip-user", "--config", configPath])
        guard initialized.status.isSuccess else { throw HarnessError("portcullis init failed: \(initialized)") }
        let tokens = try String(contentsOfFile: sandbox.tokenFilePath, encoding: .utf8)
        guard let admin = tokens.split(separator: "\n").first(where: { $0.contains(",admin,") })?.split(separator: ",").first else {
            throw HarnessError("no admin token in \(sandbox.tokenFilePath)")
        }
        let token = try work.write(admin + "\n", to: "cluster.token")
        guard chmod(token, 0o600) == 0, chown(token, uid, uid) == 0 else { throw HarnessError("cannot hand \(token) to uid \(uid)") }
    }

    private static func writeKubeconfig(work: TemporaryDirectory, issuerURL: String, trusted: String,
                                        server: String = "https://\(TestHosts.clusterAddress):6443",
                                        name: String = "agent.kubeconfig") throws -> String {
        let ca = try Data(contentsOf: URL(fileURLWithPath: trusted)).base64EncodedString()
        let plugin = try Products.packageRoot() + "/Tests/clients/kubectl_oidc_plugin.py"
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: sandbox
              cluster:
                server: \(server)
                certificate-authority-data: \(ca)
            users:
            - name: agent
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: /usr/bin/python3
                  args: ["\(plugin)", "--issuer", "\(issuerURL)", "--sub", "\(subject)", "--client-id", "\(clientID)"]
                  interactiveMode: Never
            contexts:
            - name: agent
              context: {cluster: sandbox, user: agent, namespace: default}
            current-context: agent
            """
        let path = try work.write(text + "\n", to: name)
        guard chmod(path, 0o644) == 0 else { throw HarnessError("cannot open \(path)") }
        return path
    }

    /// kubectl 1.`minor` on the agent host as the agent's uid, with the agent's kubeconfig or `kubeconfig`.
    public func kubectl(minor: Int = 32, kubeconfig: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Kubectl {
        try Kubectl(binary: Kubectl.binary(minor: minor), kubeconfig: kubeconfig ?? kubeconfigPath, namespace: agent,
                    runAs: RunAs(uid: InterceptTestbed.agentUID, gid: InterceptTestbed.agentUID), extraEnvironment: extraEnvironment)
    }

    /// A kubeconfig like the agent's that names the API server `server` (e.g. by a host name the
    /// gateway's configuration does not list).
    public func kubeconfig(server: String) throws -> String {
        try Self.writeKubeconfig(work: work, issuerURL: issuerURL, trusted: trustedCAPath, server: server,
                                 name: "agent-\(String(server.map { $0.isLetter || $0.isNumber ? $0 : "-" })).kubeconfig")
    }

    /// Runs `portcullis ARGUMENTS --config CONFIG` on the test host as root, as an operator reads
    /// the recording.
    public func portcullis(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try HostCommand.run(try Products.gateway(), arguments + ["--config", configPath], timeout: timeout)
    }

    /// Stops the gateway with SIGTERM and starts `portcullis up` again on the same configuration and
    /// store, once it says it is ready. The caller ends the new process.
    public func restartGateway() async throws -> ChildProcess {
        guard await gateway.terminate(grace: .seconds(10)) != nil else { throw HarnessError("the gateway did not stop\n\(gateway.report)") }
        let next = try agent.launch(try Products.gateway(), ["up", "--config", configPath],
                                    options: LaunchOptions(runAs: .gateway(uid: InterceptTestbed.gatewayUID), label: "portcullis up (again)"))
        try await next.waitForLine(containing: "\"event\":\"ready\"", timeout: .seconds(60))
        return next
    }

    /// Scrapes the gateway's metrics on the agent host and parses them with prometheus_client
    /// (Tests/clients/prom_scrape.py): `families` (name → type) and `samples`.
    public func scrapeMetrics() throws -> JSONValue {
        let result = try agent.run(try PythonTools.python(), [try PythonTools.clientScript("prom_scrape.py"),
                                                             "http://127.0.0.1:\(Self.metricsPort)/metrics"])
        guard result.status.isSuccess else { throw HarnessError("scraping the metrics failed: \(result)") }
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

    /// Runs `portcullis ARGUMENTS --config CONFIG` as `uid` with only the group `gid`.
    public func portcullis(_ arguments: [String], uid: UInt32, gid: UInt32, timeout: Duration = .seconds(60)) async throws -> HostCommandResult {
        let process = try ChildProcess.launch(try Products.gateway(), arguments + ["--config", configPath],
                                              options: LaunchOptions(runAs: RunAs(uid: uid, gid: gid), label: "portcullis \(arguments.first ?? "")"))
        let status = try await process.waitForExit(timeout: timeout)
        return HostCommandResult(command: "portcullis \(arguments.joined(separator: " "))", status: status, standardOutput: process.standardOutput, standardError: process.standardError)
    }

    /// The gateway's JSON event lines of kind `event`.
    public func events(_ event: String) -> [JSONValue] { InterceptTestbed.events(gateway, kind: event) }
}

/// An intermediate CA signed by a root, with openssl: what an operator does to make agents'
/// existing kubeconfigs (which trust the cluster CA) accept the gateway.
enum IntermediateCA {
    static func sign(directory: String, rootCertificate: String, rootKey: String, owner uid: UInt32) throws {
        let openssl = "/usr/bin/openssl"
        let key = directory + "/ca.key", csr = directory + "/ca.csr", cert = directory + "/ca.crt", ext = directory + "/ca.ext"
        try "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        for arguments in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key],
            ["req", "-new", "-key", key, "-subj", "/O=Portcullis tests/CN=gateway intermediate", "-out", csr],
            ["x509", "-req", "-in", csr, "-CA", rootCertificate, "-CAkey", rootKey, "-CAcreateserial", "-days", "30",
             "-extfile", ext, "-out", cert],
        ] {
            let result = try HostCommand.run(openssl, arguments)
            guard result.status.isSuccess else { throw HarnessError("openssl \(arguments.first ?? "") failed: \(result)") }
        }
        guard chmod(key, 0o600) == 0, chown(key, uid, uid) == 0, chmod(cert, 0o644) == 0 else {
            throw HarnessError("cannot hand the intermediate key to uid \(uid)")
        }
    }
}
