import Foundation

/// A fleet in namespaces (issue 12): N gateways, each on its own agent host, in front of one
/// sandbox API server on the cluster host, with the fleet's central PostgreSQL on the central host
/// and a reviewer host, all on one switch (``FleetHosts``):
/// - the **cluster host** runs `portcullis-sandbox` on 198.18.0.2:6443;
/// - the **central host** runs a ``PostgresCluster`` on 198.18.0.4:5432;
/// - **agent host** *i* runs gateway *i* (``gateways``, a ``GatewayInstance`` named
///   ``hostName(_:)``: `runner-a`, `runner-b`, ...), with its own issuers, state directory and store,
///   exactly as ``GatewayTestbed`` runs its one gateway;
/// - the **reviewer host** runs nothing until a test runs `portcullis` there
///   (``reviewerPortcullis(_:config:timeout:)``).
///
/// Each gateway's configuration ends with what the test's `central` closure returns for it (a
/// `central:` section, or `nil` for none), written when the gateway is prepared; the closure gets a
/// ``FleetGatewaySetup`` with the host name, work directory, gateway uid, the database and a copy of
/// its CA the gateway uid can read. `beforeStart` runs before each ``start(_:)`` (e.g. to create the
/// gateway's role and run `portcullis central migrate`).
///
/// Invariants:
/// - Every gateway is prepared before `body` runs; with `startGateways` (the default) every one is
///   also started, in order, each after its `beforeStart`.
/// - Everything is always removed afterwards, also when `body` throws: gateways (processes, work
///   directories), the sandbox, the database, the fleet's work directory, and every namespace.
/// - Throws after `body` if the sandbox exited during it without being stopped.
public struct FleetTestbed: Sendable {
    public typealias BeforeStart = @Sendable (FleetGatewaySetup, GatewayInstance) async throws -> Void

    public let hosts: FleetHosts
    public let sandbox: SandboxCluster
    public let postgres: PostgresCluster
    /// One per agent host, in the order of ``FleetHosts/agents``.
    public let gateways: [GatewayInstance]
    /// What each gateway's `central` closure was given, in the same order.
    public let setups: [FleetGatewaySetup]
    /// A directory (mode 755) for the test's own files, e.g. the reviewer's configuration.
    public let work: TemporaryDirectory
    private let beforeStart: BeforeStart

    public var cluster: NetworkNamespace { hosts.cluster }
    public var central: NetworkNamespace { hosts.central }
    public var reviewer: NetworkNamespace { hosts.reviewer }

    /// `runner-a` ... `runner-z`, then `runner-26`, `runner-27`, ...
    public static func hostName(_ index: Int) -> String {
        index < 26 ? "runner-" + String(Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(index)))) : "runner-\(index)"
    }

    public static func with<T>(agents: Int = 2, options: GatewayOptions = GatewayOptions(), startGateways: Bool = true,
                               logIntervalMilliseconds: Int = 100,
                               central: (FleetGatewaySetup) throws -> String? = { _ in nil },
                               beforeStart: @escaping BeforeStart = { _, _ in },
                               _ body: (FleetTestbed) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        try PostgresTools.requirePrerequisites()
        return try await FleetHosts.with(agents: agents) { hosts in
            let work = try TemporaryDirectory.create(purpose: "fleet")
            defer { work.remove() }
            guard chmod(work.path, 0o755) == 0 else { throw HarnessError("cannot open \(work.path) to other uids") }
            let postgres = try await PostgresCluster.start(in: hosts.central, address: FleetHosts.centralAddress)
            defer { postgres.remove() }
            let sandbox = try await SandboxCluster.start(in: hosts.cluster, listen: "\(FleetHosts.clusterAddress):6443",
                                                         logIntervalMilliseconds: logIntervalMilliseconds)
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await run(hosts: hosts, work: work, postgres: postgres, sandbox: sandbox, options: options,
                                                  startGateways: startGateways, central: central, beforeStart: beforeStart, body))
            } catch {
                outcome = .failure(error)
            }
            await sandbox.stop()
            return try outcome.get()
        }
    }

    /// Prepares (and starts) the gateways, runs `body`, removes the gateways.
    private static func run<T>(hosts: FleetHosts, work: TemporaryDirectory, postgres: PostgresCluster, sandbox: SandboxCluster,
                               options: GatewayOptions, startGateways: Bool, central: (FleetGatewaySetup) throws -> String?,
                               beforeStart: @escaping BeforeStart, _ body: (FleetTestbed) async throws -> T) async throws -> T {
        var gateways: [GatewayInstance] = []
        defer { gateways.forEach { $0.remove() } }
        var setups: [FleetGatewaySetup] = []
        for (index, agent) in hosts.agents.enumerated() {
            var setup: FleetGatewaySetup?
            let gateway = try await GatewayInstance.prepare(hostName: hostName(index), address: FleetHosts.agentAddress(index), agent: agent,
                                                            sandbox: sandbox, options: options) { directory in
                let made = try Self.setup(index: index, directory: directory, postgres: postgres)
                setup = made
                return try central(made)
            }
            gateways.append(gateway)
            guard let setup else { throw HarnessError("the configuration of \(hostName(index)) was written without its setup") }
            setups.append(setup)
        }
        let bed = FleetTestbed(hosts: hosts, sandbox: sandbox, postgres: postgres, gateways: gateways, setups: setups,
                               work: work, beforeStart: beforeStart)
        if startGateways {
            for index in gateways.indices { try await bed.start(index) }
        }
        let result = try await body(bed)
        try sandbox.requireRunning()
        return result
    }

    /// The setup of gateway `index`, with a copy of the database's CA in its work directory.
    private static func setup(index: Int, directory: TemporaryDirectory, postgres: PostgresCluster) throws -> FleetGatewaySetup {
        let caFile = directory.path("central-ca.crt")
        try FileManager.default.copyItem(atPath: postgres.caCertificatePath, toPath: caFile)
        guard chmod(caFile, 0o644) == 0 else { throw HarnessError("cannot open \(caFile) to the gateway uid") }
        return FleetGatewaySetup(hostName: hostName(index), index: index, address: FleetHosts.agentAddress(index),
                                 workDirectory: directory.path, gatewayUID: InterceptTestbed.gatewayUID, postgres: postgres, caFile: caFile)
    }

    // MARK: Gateways

    /// Runs the `beforeStart` hook for gateway `index`, then starts it (see ``GatewayInstance/start()``).
    /// To start a gateway again without the hook, call `gateways[index].start()` or `restart()`.
    @discardableResult
    public func start(_ index: Int) async throws -> ChildProcess {
        try await beforeStart(setups[index], gateways[index])
        return try await gateways[index].start()
    }

    /// Destroys agent host `index` as an ephemeral runner is destroyed: its gateway is killed (no
    /// clean shutdown), its work directory with the state directory and store is deleted, and its
    /// namespace is removed. Whatever the gateway had not sent anywhere is gone.
    public func destroyAgent(_ index: Int) {
        gateways[index].remove()
        hosts.agents[index].remove()
    }

    // MARK: The reviewer

    /// Runs `portcullis ARGUMENTS --config CONFIG` as root on the reviewer host, e.g.
    /// `["pending", "--central"]` with a reviewer configuration the test wrote into ``work``.
    public func reviewerPortcullis(_ arguments: [String], config: String, timeout: Duration = .seconds(60)) throws -> HostCommandResult {
        try reviewer.run(try Products.gateway(), arguments + ["--config", config], timeout: timeout)
    }
}
