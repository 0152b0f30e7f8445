import Foundation
import Kube
import Synchronization

/// Three hosts for the Intercept end-to-end tests, each a namespace:
/// - the **agent host**, where the rules, the gateway (`portcullis up`) and the probe listener run,
///   and where the agent's processes connect from (as ``agentUID``);
/// - the **cluster host**, with the API addresses 198.18.0.2, 198.18.0.3 (`api2.sandbox.test`),
///   fd00:5043::2 and fd00:5043::3, where a banner server stands in for the API server on port 6443;
/// - a **container**, behind the bridge `br-pcl` on the agent host (198.19.0.2 / fd00:5044::2),
///   whose traffic the agent host forwards.
///
/// Nothing leaves these namespaces. Everything is removed afterwards, also when the test fails.
public struct InterceptTestbed: Sendable {
    public static let gatewayUID: UInt32 = 64990
    public static let agentUID: UInt32 = 64991
    /// In the gateway's group, but not its uid: must not be exempt.
    public static let groupMemberUID: UInt32 = 64992
    public static let proxyPort = 15443
    public static let queue = 4242
    public static let apiV4 = "198.18.0.2", secondV4 = "198.18.0.3", apiV6 = "fd00:5043::2", secondV6 = "fd00:5043::3"
    public static let bridgeAddressV4 = "198.19.0.1", containerV4 = "198.19.0.2"
    public static let bridgeAddressV6 = "fd00:5044::1", containerV6 = "fd00:5044::2"
    public static let bridge = "br-pcl"
    /// A loopback API endpoint (as k3s or kind publish one) on the agent host.
    public static let loopbackAPIPort = 7443

    public let hosts: TestHosts
    public let container: NetworkNamespace
    public let work: TemporaryDirectory
    public let configPath: String
    /// Every process started through the testbed: kept alive until the test ends (a released
    /// ``ChildProcess`` is killed), then stopped.
    private let started = StartedProcesses()

    public var agent: NetworkNamespace { hosts.agent }
    public var cluster: NetworkNamespace { hosts.cluster }

    /// The gateway configuration the tests use; `WORK` is the testbed's work directory.
    public static func configuration(work: String) -> String {
        """
        gateway:
          uid: \(gatewayUID)
          proxyPort: \(proxyPort)
          queue: \(queue)
          bridges: ["br-+"]
          stateDirectory: \(work)/state
        tls:
          caCertificate: \(work)/tls/ca.crt
          caKey: \(work)/tls/ca.key
        authentication:
          issuers:
            - issuerURL: http://127.0.0.1:9
              clientIDs: [portcullis]
              allowInsecureHTTPIssuer: true
        clusters:
          - name: sandbox
            endpoints:
              - "\(apiV4):6443"
              - "[\(apiV6)]:6443"
              - "api2.sandbox.test:6443"
              - "127.0.0.1:\(loopbackAPIPort)"
            caFile: \(work)/tls/ca.crt
            tokenFile: \(work)/cluster.token
        policy:
          file: \(work)/policy.yaml
        """
    }

    public static func with<T>(_ body: (InterceptTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        return try await TestHosts.withAgentAndCluster { hosts in
            let container = try NetworkNamespace.create(role: "ctr")
            defer { container.remove() }
            let work = try TemporaryDirectory.create(purpose: "intercept")
            defer { work.remove() }
            // The gateway runs as its own uid and reads its configuration from here.
            guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path) to the gateway uid") }
            try wire(hosts: hosts, container: container)
            let bed = InterceptTestbed(hosts: hosts, container: container, work: work,
                                       configPath: try work.write(configuration(work: work.path) + "\n", to: "portcullis.yaml"))
            defer { bed.started.killAll() }
            return try await body(bed)
        }
    }

    private static func wire(hosts: TestHosts, container: NetworkNamespace) throws {
        let agent = hosts.agent, cluster = hosts.cluster
        let agentVeth = hosts.link.first.interface, clusterVeth = hosts.link.second.interface
        try agent.ip(["-6", "addr", "add", "fd00:5043::1/64", "dev", agentVeth, "nodad"])
        for address in ["\(apiV6)/64", "\(secondV6)/64"] {
            try cluster.ip(["-6", "addr", "add", address, "dev", clusterVeth, "nodad"])
        }
        try cluster.ip(["addr", "add", "\(secondV4)/24", "dev", clusterVeth])
        // The container's bridge on the agent host, and the way back from the cluster.
        try agent.ip(["link", "add", bridge, "type", "bridge"])
        try agent.ip(["addr", "add", "\(bridgeAddressV4)/24", "dev", bridge])
        try agent.ip(["-6", "addr", "add", "\(bridgeAddressV6)/64", "dev", bridge, "nodad"])
        try agent.ip(["link", "set", bridge, "up"])
        let (hostSide, containerSide) = VethLink.interfaceNames(counter: NamespaceName.nextCounter())
        try agent.ip(["link", "add", hostSide, "type", "veth", "peer", "name", containerSide, "netns", container.name])
        try agent.ip(["link", "set", hostSide, "master", bridge])
        try agent.ip(["link", "set", hostSide, "up"])
        try container.ip(["addr", "add", "\(containerV4)/24", "dev", containerSide])
        try container.ip(["-6", "addr", "add", "\(containerV6)/64", "dev", containerSide, "nodad"])
        try container.ip(["link", "set", containerSide, "up"])
        try container.ip(["route", "add", "198.18.0.0/24", "via", bridgeAddressV4])
        try container.ip(["-6", "route", "add", "fd00:5043::/64", "via", bridgeAddressV6])
        try cluster.ip(["route", "add", "198.19.0.0/24", "via", TestHosts.agentAddress])
        try cluster.ip(["-6", "route", "add", "fd00:5044::/64", "via", "fd00:5043::1"])
        for key in ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"] {
            try check(agent.run("/usr/sbin/sysctl", ["-q", "-w", key]), "sysctl \(key)")
        }
        try NamespaceHostsFile.write([(secondV4, ["api2.sandbox.test"]), (secondV6, ["api2.sandbox.test"])], for: agent)
    }

    private static func check(_ result: HostCommandResult, _ what: String) throws {
        guard result.status.isSuccess else { throw HarnessError("\(what) failed: \(result)") }
    }

    // MARK: Processes

    /// Runs `portcullis ARGS --config CONFIG` on the agent host to completion.
    public func portcullis(_ arguments: [String]) throws -> HostCommandResult {
        try agent.run(try Products.gateway(), arguments + ["--config", configPath], timeout: .seconds(60))
    }

    /// The stand-in API server on the cluster host (6443 on every API address).
    public func startAPIServer() async throws -> ChildProcess {
        let script = try Products.packageRoot() + "/Tests/clients/tcp_banner.py"
        let addresses = [Self.apiV4, Self.secondV4].map { "\($0):6443" } + [Self.apiV6, Self.secondV6].map { "[\($0)]:6443" }
        let process = started.keep(try cluster.launch("/usr/bin/python3", [script, "cluster"] + addresses,
                                                      options: LaunchOptions(label: "API stand-in")))
        try await process.waitForLine(containing: "ready")
        return process
    }

    /// The stand-in for the gateway's listener on the agent host: reports each connection's original
    /// destination, admission and caller (see Tests/Tools/intercept-probe).
    public func startProbe() async throws -> ChildProcess {
        let endpoints = ["\(Self.apiV4):6443", "\(Self.secondV4):6443", "[\(Self.apiV6)]:6443", "[\(Self.secondV6)]:6443",
                         "127.0.0.1:\(Self.loopbackAPIPort)"]
        let listen = ["127.0.0.1", "::1", Self.bridgeAddressV4, Self.bridgeAddressV6]
        let arguments = ["--port", String(Self.proxyPort)] + listen.flatMap { ["--listen", $0] } + endpoints.flatMap { ["--endpoint", $0] }
        let process = started.keep(try agent.launch(try Products.executable("intercept-probe"), arguments,
                                                    options: LaunchOptions(label: "intercept-probe")))
        try await process.waitForLine(containing: "\"ready\"")
        return process
    }

    /// `portcullis up` on the agent host, run as the gateway uid with CAP_NET_ADMIN and CAP_NET_RAW
    /// after `portcullis init`, once it says it is ready (guard listening, proxy listening, rules applied).
    public func startGateway() async throws -> ChildProcess {
        try prepareGateway()
        let process = started.keep(try agent.launch(try Products.gateway(), ["up", "--config", configPath],
                                                    options: LaunchOptions(runAs: .gateway(uid: Self.gatewayUID),
                                                                           label: "portcullis up")))
        try await process.waitForLine(containing: "\"event\":\"ready\"", timeout: .seconds(60))
        return process
    }

    /// `portcullis init` (without creating a user on the host) and a cluster credential file the
    /// gateway uid owns.
    public func prepareGateway(clusterToken: String = "unused-cluster-token") throws {
        let initialized = try portcullis(["init", "--skip-user"])
        guard initialized.status.isSuccess else { throw HarnessError("portcullis init failed: \(initialized)") }
        let policy = try work.write("defaultEffect: allow\nrules: []\n", to: "policy.yaml")
        guard chmod(policy, 0o644) == 0 else { throw HarnessError("cannot open \(policy) to the gateway uid") }
        let token = try work.write(clusterToken + "\n", to: "cluster.token")
        guard chmod(token, 0o600) == 0, chown(token, Self.gatewayUID, Self.gatewayUID) == 0 else {
            throw HarnessError("cannot hand \(token) to uid \(Self.gatewayUID)")
        }
    }

    /// One network attempt by `uid` (gid `gid`) from `namespace` (the agent host by default), as
    /// Tests/clients/net_client.py reports it.
    public func attempt(_ mode: String, _ host: String, _ port: Int, uid: UInt32 = agentUID, gid: UInt32? = nil,
                        from namespace: NetworkNamespace? = nil, timeout: Double = 2) async throws -> JSONValue {
        let script = try Products.packageRoot() + "/Tests/clients/net_client.py"
        let options = LaunchOptions(namespace: (namespace ?? agent).name, runAs: RunAs(uid: uid, gid: gid ?? uid),
                                    label: "\(mode) \(host):\(port) as \(uid)")
        let process = try ChildProcess.launch("/usr/bin/python3", [script, mode, host, String(port), "--timeout", String(timeout)],
                                              options: options)
        let status = try await process.waitForExit(timeout: .seconds(timeout + 20))
        guard status.isSuccess else { throw HarnessError("net_client failed (\(status))\n\(process.report)") }
        return try JSONParser.parse(process.standardOutput.split(separator: "\n").last.map(String.init) ?? "")
    }

    /// A client that connects and holds the connection, reporting how it ended.
    public func holdConnection(_ host: String, _ port: Int, uid: UInt32 = agentUID) async throws -> ChildProcess {
        let script = try Products.packageRoot() + "/Tests/clients/net_client.py"
        let process = started.keep(try agent.launch("/usr/bin/python3", [script, "hold", host, String(port), "--timeout", "30"],
                                                    options: LaunchOptions(runAs: RunAs(uid: uid, gid: uid), label: "hold \(host):\(port)")))
        try await process.waitForLine(containing: "\"connected\": true")
        return process
    }

    /// The JSON lines a process printed that are events of kind `event`.
    public static func events(_ process: ChildProcess, kind event: String) -> [JSONValue] {
        process.standardOutput.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
            .filter { $0["event"]?.stringValue == event }
    }
}

/// Keeps child processes referenced until ``killAll()``.
final class StartedProcesses: Sendable {
    private let processes = Mutex<[ChildProcess]>([])

    func keep(_ process: ChildProcess) -> ChildProcess {
        processes.withLock { $0.append(process) }
        return process
    }

    func killAll() {
        for process in processes.withLock({ $0 }) { process.kill() }
    }
}
