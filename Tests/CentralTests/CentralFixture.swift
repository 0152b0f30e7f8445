import Central
import Foundation
import Kube
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
@testable import Proxy
import Intercept
import Store
import TestSupport

/// A real PostgreSQL for the Central tests: a throwaway server in a namespace of its own, reached
/// by the test process through its Unix socket, migrated, with the roles docs/central.md describes:
/// `runner-a` (a login role for host runner-a), `ci` (one role for hosts ci-%), `alice` (a reviewer).
final class CentralFixture: Sendable {
    static let passwords = ["runner-a": "pw-runner-a", "ci": "pw-ci", "alice": "pw-alice"]

    let namespace: NetworkNamespace
    let cluster: PostgresCluster
    let work: TemporaryDirectory
    let group: any EventLoopGroup

    private init(namespace: NetworkNamespace, cluster: PostgresCluster, work: TemporaryDirectory, group: any EventLoopGroup) {
        self.namespace = namespace
        self.cluster = cluster
        self.work = work
        self.group = group
    }

    static func with<T>(_ body: (CentralFixture) async throws -> T) async throws -> T {
        try Privileges.requireRoot()
        let namespace = try NetworkNamespace.create(role: "central")
        defer { namespace.remove() }
        let cluster = try await PostgresCluster.start(in: namespace, address: "127.0.0.1")
        defer { cluster.remove() }
        let work = try TemporaryDirectory.create(purpose: "central")
        defer { work.remove() }
        let group = MultiThreadedEventLoopGroup.singleton
        let fixture = CentralFixture(namespace: namespace, cluster: cluster, work: work, group: group)
        try await fixture.withClient(fixture.configuration(user: cluster.superuser, password: cluster.superuserPassword, hostName: "admin")) {
            _ = try await CentralMigrator.migrate($0, store: "test", logger: Logger(label: "test"))
        }
        let roles = CentralRoles.sql(gateways: [.init(role: "runner-a", hostPattern: "runner-a"), .init(role: "ci", hostPattern: "ci-%")],
                                     reviewers: ["alice"], database: PostgresCluster.defaultDatabase)
        let passwords = passwords.map { "ALTER ROLE \(CentralRoles.quoteIdentifier($0.key)) PASSWORD '\($0.value)';" }.joined(separator: "\n")
        let result = try cluster.psql(roles + passwords)
        guard result.status.isSuccess else { throw HarnessError("creating the roles failed: \(result)") }
        return try await body(fixture)
    }

    /// The central section for `user`, over the server's Unix socket.
    func configuration(user: String, password: String? = nil, hostName: String, mode: CentralMode = .async) throws -> CentralConfiguration {
        var c = CentralConfiguration(host: cluster.socketDirectory, user: user, hostName: hostName)
        c.port = cluster.port
        c.database = PostgresCluster.defaultDatabase
        c.mode = mode
        c.queryTimeout = .seconds(5)
        c.requiredTimeout = .seconds(3)
        c.pollInterval = .milliseconds(500)
        let secret = password ?? Self.passwords[user] ?? ""
        let path = work.path("pw-\(user)-\(UInt32.random(in: 0...UInt32.max))")
        try secret.write(toFile: path, atomically: false, encoding: .utf8)
        guard chmod(path, 0o600) == 0 else { throw HarnessError("cannot protect \(path)") }
        c.passwordFile = path
        return c
    }

    /// A PostgreSQL client that runs while `body` does.
    func withClient<T>(_ configuration: CentralConfiguration, _ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = try CentralConnector.client(configuration, eventLoopGroup: group, logger: Self.quietLogger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { tasks in
            tasks.addTask { await client.run() }
            defer { tasks.cancelAll() }
            return try await body(client)
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.central")
        logger.logLevel = .error
        return logger
    }

    /// Rows of `sql` as the superuser, `|`-separated columns (psql -At).
    func superuserRows(_ sql: String) throws -> [String] {
        let result = try cluster.psql(sql)
        guard result.status.isSuccess else { throw HarnessError("psql failed: \(result)") }
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// Runs `sql` as `user`; the result, success or not.
    func psql(_ sql: String, as user: String) throws -> HostCommandResult {
        try cluster.psql(sql, user: user, password: Self.passwords[user])
    }
}

/// A local store with its writer and recorder, as a gateway has.
final class LocalStore: Sendable {
    let directory: TemporaryDirectory
    let database: StoreDatabase
    let writer: StoreWriter
    let recorder: StoreRecorder
    let loop: any EventLoop

    init(_ group: any EventLoopGroup) throws {
        directory = try TemporaryDirectory.create(purpose: "local-store")
        database = try StoreDatabase.open(path: directory.path("recording.sqlite"))
        writer = StoreWriter(database: database)
        recorder = try StoreRecorder(writer: writer)
        loop = group.next()
    }

    func close() {
        writer.close()
        try? database.close()
        directory.remove()
    }

    /// `count` requests on one connection, each with a response: 2 + 2·count rows (connection,
    /// requests, responses, end).
    func recordSession(_ connection: UInt64, requests count: Int, from first: UInt64 = 1) throws {
        let t0: Int64 = 1_790_000_000_000_000
        let time = { (offset: Int64) in KubeTime(microseconds: t0 + offset) }
        try recorder.record(.connectionOpened(ConnectionOpened(
            id: ConnectionID(connection), time: time(0), peer: "198.18.0.1:40000", originalDestination: "198.18.0.2:6443", cluster: "sandbox",
            caller: Caller(uid: 64991, gid: 64991, process: nil))), on: loop).wait()
        for n in first..<(first + UInt64(count)) {
            let uri = "/api/v1/namespaces/demo/configmaps/cm-\(n)"
            let target = RequestTarget(uri)
            let info = (try? RequestInfoResolver.resolve(method: "GET", target: target)) ?? RequestInfo(path: target.path, verb: "get")
            let record = RequestRecord(id: RequestID(n), connection: ConnectionID(connection), time: time(Int64(n) * 10), method: "GET", uri: uri,
                                       info: info, intent: Intent.describe(info, query: target.query), auditID: "audit-\(connection)-\(n)",
                                       userAgent: "kubectl/v1.32.5",
                                       identity: VerifiedIdentity(username: "oidc:agent-7", groups: ["oidc:ai-agents"], issuer: "https://issuer.test",
                                                                  subject: "agent-7"),
                                       headers: [("Accept", "application/json")], body: [], bodyTruncated: false)
            try recorder.record(.requestReceived(record), on: loop).wait()
            let body = Array(#"{"kind":"ConfigMap","metadata":{"name":"cm-\#(n)"}}"#.utf8)
            try recorder.record(.responseStarted(RequestID(n), time: time(Int64(n) * 10 + 1), status: 200,
                                                 headers: [("Content-Type", "application/json")]), on: loop).wait()
            try recorder.record(.responseBody(RequestID(n), bytes: body), on: loop).wait()
            try recorder.record(.responseCompleted(RequestID(n), time: time(Int64(n) * 10 + 2), bytes: body.count), on: loop).wait()
        }
        try recorder.record(.connectionClosed(ConnectionID(connection), time: time(100_000)), on: loop).wait()
    }

    var head: ChainHead { writer.committed.head }
}
