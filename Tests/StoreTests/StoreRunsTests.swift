import Foundation
import GRDB
import Intercept
import Kube
@testable import Proxy
import Store
import Testing

/// Runs: an agent's requests grouped by caller, identity and token until idle; what `sessions`
/// lists by default; the caller's cgroup facts on the record; and the chain still verifying.
@Suite struct StoreRunsTests {
    static let dockerID = String(repeating: "4f3a2b1c", count: 8)

    /// A connection from uid 1000 in `cgroup` (a docker scope by default).
    static func opened(_ id: UInt64, cgroup: String = "/system.slice/docker-\(dockerID).scope", uid: UInt32 = 1000,
                       at offset: Int64 = 0) -> ProxyEvent {
        let cgroupFacts = CallerCgroup(id: 4242, path: cgroup)
        return .connectionOpened(ConnectionOpened(
            id: ConnectionID(id), time: TestEvents.time(offset), peer: "127.0.0.1:4\(id)", originalDestination: "198.18.0.2:6443",
            cluster: "prod", caller: Caller(uid: uid, sourceAddress: .v4(127, 0, 0, 1), cgroup: cgroupFacts, container: cgroupFacts.container)))
    }

    /// An authenticated GET by `token`'s holder, answered 200.
    static func get(_ id: UInt64, connection: UInt64, token: String, at offset: Int64, claims: [String: String] = [:],
                    headers: [(name: String, value: String)] = []) -> [ProxyEvent] {
        var record = TestEvents.request(id, connection: connection, uri: "/api/v1/namespaces/demo/pods", headers: headers, at: offset)
        record.tokenFingerprint = TokenFingerprint.of(token)
        record.identity?.runClaims = claims
        return [.requestReceived(record), .responseStarted(RequestID(id), time: TestEvents.time(offset + 100), status: 200, headers: []),
                .responseCompleted(RequestID(id), time: TestEvents.time(offset + 200), bytes: 0)]
    }

    static func runIDs(_ f: StoreFixture) throws -> [Int64?] {
        try f.rows("SELECT run_id FROM requests ORDER BY id").map { $0["run_id"] }
    }

    @Test("two agents with two tokens, interleaved on two connections, make two runs; one token across connections is one run")
    func tokensMakeRuns() throws {
        let f = try StoreFixture.make("runs")
        defer { f.close() }
        try f.record([Self.opened(1), Self.opened(2)])
        try f.record(Self.get(1, connection: 1, token: "token-a", at: 1_000_000))
        try f.record(Self.get(2, connection: 2, token: "token-b", at: 2_000_000))
        try f.record(Self.get(3, connection: 1, token: "token-a", at: 3_000_000))
        try f.record(Self.get(4, connection: 2, token: "token-a", at: 4_000_000))
        let ids = try Self.runIDs(f)
        #expect(ids[0] != nil && ids[0] == ids[2] && ids[0] == ids[3], "\(ids)")
        #expect(ids[1] != nil && ids[1] != ids[0], "\(ids)")
        let runs = try f.rows("SELECT id, token_fingerprint, uid, unit, container_runtime, container_id, cgroup, cgroup_id FROM runs ORDER BY id")
        #expect(runs.count == 2)
        #expect(runs.map { $0["token_fingerprint"] as String } == [TokenFingerprint.of("token-a"), TokenFingerprint.of("token-b")])
        let first = runs[0]
        #expect(first["container_runtime"] as String? == "docker")
        #expect(first["container_id"] as String? == Self.dockerID)
        #expect(first["unit"] as String? == "docker-\(Self.dockerID).scope")
        #expect(first["cgroup_id"] as Int64? == 4242)
        #expect(first["uid"] as Int64? == 1000)
        #expect(TokenFingerprint.of("token-a").count == 16 && TokenFingerprint.of("token-a") != TokenFingerprint.of("token-b"))
        let verified = try StoreVerifier.verify(f.database)
        #expect(verified.problem == nil, "\(String(describing: verified.problem))")
    }

    @Test("the cgroup's id decides the run: a connection whose cgroup path was not found joins its cgroup's run; another cgroup is another run")
    func cgroupIDDecides() throws {
        let f = try StoreFixture.make("runs-cgroup")
        defer { f.close() }
        let unresolved = CallerCgroup(id: 4242, path: nil)
        try f.record([Self.opened(1), .connectionOpened(ConnectionOpened(
            id: ConnectionID(2), time: TestEvents.time(0), peer: "127.0.0.1:42", originalDestination: "198.18.0.2:6443", cluster: "prod",
            caller: Caller(uid: 1000, sourceAddress: .v4(127, 0, 0, 1), cgroup: unresolved))),
                      Self.opened(3, cgroup: "/system.slice/other.service")])
        try f.record(Self.get(1, connection: 1, token: "t", at: 1_000_000))
        try f.record(Self.get(2, connection: 2, token: "t", at: 2_000_000))
        let ids = try Self.runIDs(f)
        #expect(ids[0] == ids[1], "\(ids)")
        // opened(3) uses the default cgroup id too: a different id is a different cgroup.
        try f.record(.connectionOpened(ConnectionOpened(
            id: ConnectionID(4), time: TestEvents.time(0), peer: "127.0.0.1:44", originalDestination: "198.18.0.2:6443", cluster: "prod",
            caller: Caller(uid: 1000, sourceAddress: .v4(127, 0, 0, 1), cgroup: CallerCgroup(id: 99, path: "/system.slice/other.service")))))
        try f.record(Self.get(3, connection: 4, token: "t", at: 3_000_000))
        #expect(try Self.runIDs(f)[2] != ids[0])
    }

    @Test("a request after an idle gap longer than runIdle starts a new run; responses count as activity")
    func idleGapSplitsRuns() throws {
        let f = try StoreFixture.make("runs-idle", recorder: StoreRecorderConfiguration(runIdle: .seconds(60)))
        defer { f.close() }
        try f.record(Self.opened(1))
        try f.record(Self.get(1, connection: 1, token: "t", at: 0))
        try f.record(Self.get(2, connection: 1, token: "t", at: 59_000_000))
        try f.record(Self.get(3, connection: 1, token: "t", at: 200_000_000))
        let ids = try Self.runIDs(f)
        #expect(ids[0] == ids[1] && ids[1] != ids[2], "\(ids)")
    }

    @Test("the caller's cgroup, unit, container and pod are recorded with the connection, and read back")
    func callerFactsAreRecorded() throws {
        let f = try StoreFixture.make("runs-caller")
        defer { f.close() }
        let pod = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b9d6a6e_1111_4c2e_9a53_3a1f0e2d7c11.slice/cri-containerd-\(Self.dockerID).scope"
        try f.record([Self.opened(1, cgroup: pod), Self.opened(2, cgroup: "/system.slice/actions-runner.service")])
        let reader = StoreReader(f.database)
        let first = try #require(try reader.connection(id: 1))
        #expect(first.caller.containerRuntime == "containerd" && first.caller.containerID == Self.dockerID)
        #expect(first.caller.podUID == "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11")
        #expect(first.caller.cgroup == pod && first.caller.cgroupID == 4242)
        #expect(first.caller.shortText == "containerd:4f3a2b1c4f3a uid 1000")
        let second = try #require(try reader.connection(id: 2))
        #expect(second.caller.unit == "actions-runner.service" && second.caller.containerID == nil)
        #expect(second.caller.shortText == "actions-runner.service uid 1000")
    }

    @Test("sessions lists runs with their claims and counts, and connections without an authenticated request; filters narrow both")
    func overviewAndFilters() throws {
        let f = try StoreFixture.make("runs-overview")
        defer { f.close() }
        let claims = ["repository": "acme/app", "run_id": "42", "job_workflow_ref": "acme/app/.github/workflows/ci.yml@refs/heads/main"]
        try f.record([Self.opened(1), Self.opened(2, cgroup: "/system.slice/actions-runner.service"), Self.opened(3)])
        try f.record(Self.get(1, connection: 1, token: "a", at: 1_000_000, claims: claims))
        try f.record(Self.get(2, connection: 2, token: "b", at: 2_000_000))
        // Connection 3 carries only a request without a token.
        var anonymous = TestEvents.request(3, connection: 3, uri: "/api/v1/namespaces", at: 3_000_000)
        anonymous.identity = nil
        try f.record([.requestReceived(anonymous),
                      .requestRejected(RequestID(3), time: TestEvents.time(3_000_100), status: Status(message: "Unauthorized", reason: "Unauthorized", code: 401),
                                       reason: "no bearer token")])
        let reader = StoreReader(f.database)
        let all = try reader.overview()
        // Connection 3 opened before either run's first request: entries are ordered by when they began.
        #expect(all.map(\.kindName) == ["connection", "run", "run"], "\(all)")
        guard case .run(let first) = all[1] else { Issue.record("not a run"); return }
        #expect(first.run.claims == claims && first.requestCount == 1 && first.outcomes == [.allowed: 1] && first.connectionCount == 1)
        let table = RunsText.table(all)
        #expect(table.contains("docker:4f3a2b1c4f3a uid 1000"), "\(table)")
        #expect(table.contains("job_workflow_ref=acme/app/.github/workflows/ci.yml@refs/heads/main repository=acme/app run_id=42"), "\(table)")
        #expect(table.contains("actions-runner.service uid 1000"), "\(table)")
        let json = try JSONParser.parse(RunsText.jsonLine(all[1]))
        #expect(json["kind"] == "run" && json[path: "claims", "run_id"] == "42" && json["tokenFingerprint"]?.stringValue == TokenFingerprint.of("a"))

        #expect(try reader.overview(matching: SessionFilter(claims: [.init(name: "repository", value: "acme/app")])).map(\.kindName) == ["run"])
        #expect(try reader.overview(matching: SessionFilter(units: ["actions-runner.service"])).count == 1)
        #expect(try reader.overview(matching: SessionFilter(containers: ["docker:4f3a2b"])).map(\.kindName) == ["connection", "run"])
        #expect(try reader.overview(matching: SessionFilter(containers: ["cri-o:4f3a2b"])).isEmpty)
        #expect(try reader.overview(matching: SessionFilter(outcomes: [.rejected])).map(\.kindName) == ["connection"])
        #expect(try reader.sessions(matching: SessionFilter(claims: [.init(name: "run_id", value: "42")])).map(\.reference) == [.connection(1)])
    }

    @Test("a restarted recorder continues a run that was active within runIdle")
    func runsSurviveARestart() throws {
        let f = try StoreFixture.make("runs-restart")
        defer { f.close() }
        // Activity "within runIdle" is judged against the clock when the recorder starts: now.
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000) - TestEvents.t0
        try f.record(Self.opened(1, at: now))
        try f.record(Self.get(1, connection: 1, token: "t", at: now))
        let again = try StoreRecorder(writer: f.writer)
        var record = TestEvents.request(2, connection: 1, uri: "/api/v1/namespaces", at: now + 1_000_000)
        record.tokenFingerprint = TokenFingerprint.of("t")
        try again.record(Self.opened(1, at: now), on: f.loop).wait()
        try again.record(.requestReceived(record), on: f.loop).wait()
        let ids = try f.rows("SELECT run_id FROM requests ORDER BY seq").map { $0["run_id"] as Int64? }
        #expect(ids.count == 2 && ids[0] == ids[1], "\(ids)")
        #expect(try f.count("runs") == 1)
    }
}

extension SessionEntry {
    var kindName: String {
        switch self {
        case .run: "run"
        case .session(let s): s.kind.rawValue
        }
    }
}
