import Foundation
import GRDB
import Kube
import Store
import Testing
import TestSupport

@testable import portcullis

/// `sessions`, `show`, `replay` and `export` end to end: the built `portcullis` binary against a
/// real SQLite recording written with SQL.
@Suite struct StoreCommandsTests {
    static let t0: Int64 = 1_767_268_800 * 1_000_000
    static func at(_ s: Double) -> Int64 { t0 + Int64((s * 1_000_000).rounded()) }

    /// c1: alice lists pods, then execs (stdout "hi\n", stderr "oops\n", exit 3), her run run1 from
    /// actions-runner.service; c2 refused; a guard event (seq 10); c3: a request without a token,
    /// rejected with 401.
    static func makeStore(in directory: TemporaryDirectory) throws -> String {
        let path = directory.path("recording.sqlite")
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator().migrate(pool)
        try pool.write { db in
            var seq: Int64 = 0
            let hash = Data(repeating: 1, count: 32)
            func insert(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?]) throws {
                seq += 1
                try db.execute(sql: sql, arguments: StatementArguments([seq, hash] + arguments))
            }
            let connection = "INSERT INTO connections (seq, hash, id, opened_at, peer, original_destination, cluster, outcome, reason, uid, pid, executable) VALUES (?, ?, ?, ?, ?, '198.18.0.2:6443', ?, ?, ?, ?, ?, ?)"
            let request = """
                INSERT INTO requests (seq, hash, id, connection_id, received_at, method, uri, verb, api_group, api_version, resource, subresource,
                    namespace, name, is_resource_request, intent, audit_id, user_agent, username, groups, headers, body, body_truncated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 'v1', 'pods', ?, ?, ?, 1, ?, ?, 'kubectl/v1.32.4', ?, ?, '[]', NULL, 0)
                """
            let response = "INSERT INTO responses (seq, hash, request_id, started_at, completed_at, status_code, headers, body, body_truncated, bytes, rejected, reason) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, 0, 0, ?, ?)"
            let event = "INSERT INTO stream_events (seq, hash, request_id, at, direction, channel, data) VALUES (?, ?, 2, ?, ?, ?, ?)"
            try insert(connection, [1, at(0), "198.18.0.1:40000", "prod", "allowed", nil, 1000, 4242, "/usr/bin/kubectl"])
            try insert(request, [1, 1, at(0.1), "GET", "/api/v1/namespaces/demo/pods", "list", "", "demo", "", "list pods in demo", "a-1",
                                 "alice", #"["devs"]"#])
            try insert(response, [1, at(0.105), at(0.11), 200,
                                  Data(#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"web-1","namespace":"demo"}}]}"#.utf8),
                                  false, nil])
            try insert(request, [2, 1, at(1), "POST", "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&stdout=true&stderr=true", "create",
                                 "exec", "demo", "web-1", "exec into pod web-1 in demo: sh", "a-2", "alice", #"["devs"]"#])
            try insert(event, [at(1.2), "upstream_to_client", "stdout", Data("hi\n".utf8)])
            try insert(event, [at(1.3), "upstream_to_client", "stderr", Data("oops\n".utf8)])
            try insert(event, [at(1.4), "upstream_to_client", "error", Data(ExecResult.exitCode(3, command: ["sh"]).statusBytes())])
            try insert(response, [2, at(1.05), at(1.5), 101, nil, false, nil])
            try insert(connection, [2, at(2), "198.18.0.1:40001", nil, "refused", "no route to a configured cluster", 1001, 5000, "/usr/bin/curl"])
            try insert("INSERT INTO guard_events (seq, hash, at, protocol, source, destination, destination_port, uid) VALUES (?, ?, ?, 'tcp', '10.0.0.5', '10.0.0.10', 6443, 1002)",
                       [at(3)])
            try insert(connection, [3, at(4), "198.18.0.1:40002", "prod", "allowed", nil, 1003, 6000, "/usr/local/bin/agent"])
            try insert(request, [3, 3, at(4.1), "GET", "/api/v1/namespaces/prod/pods", "list", "", "prod", "", "list pods in prod", "a-3",
                                 nil, nil])
            try insert(response, [3, nil, at(4.1002), 401,
                                  Data(#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#.utf8),
                                  true, "no bearer token"])
            try insert("""
                INSERT INTO runs (seq, hash, id, started_at, uid, cgroup, unit, username, groups, issuer, subject, token_fingerprint, claims)
                VALUES (?, ?, 1, ?, 1000, '/system.slice/actions-runner.service', 'actions-runner.service', 'alice', '["devs"]',
                        'https://issuer.test', 'alice-sub', '0123456789abcdef', '{"run_id":"7"}')
                """, [at(0.1)])
            try db.execute(sql: "UPDATE requests SET run_id = 1 WHERE connection_id = 1")
        }
        return path
    }

    struct Run {
        var status: TestSupport.ExitStatus
        var stdout: String
        var stderr: String
    }

    func portcullis(_ arguments: [String]) throws -> Run {
        let result = try HostCommand.run(try Products.gateway(), arguments)
        return Run(status: result.status, stdout: result.standardOutput, stderr: result.standardError)
    }

    @Test func sessionsPrintsATableAndJSONLines() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let runs = try portcullis(["sessions", "--store", store])
        #expect(runs.status == .exited(0), "\(runs.stderr)")
        let lines = runs.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5 && lines[0].hasPrefix("TIME                  ID    KIND        DURATION  CALLER"), "\(runs.stdout)")
        #expect(lines[1].hasPrefix("2026-01-01T12:00:00Z  run1  run         1.40s     actions-runner.service uid 1000  alice  run_id=7"), "\(runs.stdout)")
        #expect(lines[1].hasSuffix("2 allowed"), "\(runs.stdout)")
        #expect(lines[2].contains("c2    refused") && lines[2].hasSuffix("refused: no route to a configured cluster"), "\(runs.stdout)")
        #expect(lines[3].contains("g10   bypass") && lines[4].contains("c3    connection") && lines[4].hasSuffix("1         rejected"), "\(runs.stdout)")
        let table = try portcullis(["sessions", "--store", store, "--connections"])
        #expect(table.status == .exited(0), "\(table.stderr)")
        #expect(table.stdout == """
            TIME                  ID   KIND        CALLER                  USER   CLUSTER  REQUESTS  OUTCOME   FIRST INTENT
            2026-01-01T12:00:00Z  c1   connection  uid 1000 kubectl[4242]  alice  prod     2         allowed   list pods in demo
            2026-01-01T12:00:02Z  c2   refused     uid 1001 curl[5000]     -      -        -         refused   no route to a configured cluster
            2026-01-01T12:00:03Z  g10  bypass      uid 1002                -      -        -         bypass    tcp 10.0.0.5 -> 10.0.0.10:6443 dropped
            2026-01-01T12:00:04Z  c3   connection  uid 1003 agent[6000]    -      prod     1         rejected  list pods in prod

            """)
        let json = try portcullis(["sessions", "--store", store, "--json", "--outcome", "rejected"])
        #expect(json.status == .exited(0))
        let rejected = json.stdout.split(separator: "\n").map(String.init)
        #expect(try rejected.map { try JSONParser.parse($0)["id"] } == ["c2", "c3"])
        let alice = try portcullis(["sessions", "--store", store, "--user", "alice", "--json"])
        #expect(try alice.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["id"] } == ["run1"])
        let aliceConnections = try portcullis(["sessions", "--store", store, "--user", "alice", "--json", "--connections"])
        #expect(try aliceConnections.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["id"] } == ["c1"])
        let claimed = try portcullis(["sessions", "--store", store, "--claim", "run_id=7", "--unit", "actions-runner.service", "--json"])
        #expect(try claimed.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["id"] } == ["run1"])
        let none = try portcullis(["sessions", "--store", store, "--verb", "delete"])
        #expect(none.status == .exited(0))
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.contains("no runs or sessions match in \(store)"))
        let since = try portcullis(["sessions", "--store", store, "--since", "2026-01-01T12:00:02.5Z", "--until", "2026-01-01T12:00:03Z", "--json"])
        #expect(try since.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["id"] } == ["g10"])
    }

    @Test func theStoreComesFromTheConfigurationFile() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let config = try directory.write("""
            gateway: {uid: 990}
            clusters: [{name: prod, endpoints: ['10.0.0.10:6443']}]
            store: {path: \(store)}

            """, to: "portcullis.yaml")
        let run = try portcullis(["sessions", "--config", config, "--limit", "1", "--json"])
        #expect(run.status == .exited(0), "\(run.stderr)")
        #expect(try run.stdout.split(separator: "\n").map { try JSONParser.parse(String($0))["id"] } == ["c3"])
    }

    @Test func badArgumentsExitTwoAndAnUnreadableStoreExitsThreeNamingIt() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let missing = directory.path("missing.sqlite")
        let notAStore = try directory.write("hello, this is not SQLite at all; it is a plain text file of some length\n", to: "text.sqlite")
        let cases: [([String], Int32, String)] = [
            (["sessions", "--store", missing], 3, "cannot open the store \(missing): no such file"),
            (["show", "c1", "--store", notAStore], 3, "cannot open the store \(notAStore):"),
            (["export", "--store", missing], 3, missing),
            (["sessions"], 2, "give the recording with --store PATH, or the gateway configuration with --config FILE"),
            (["sessions", "--store", store, "--outcome", "maybe"], 2, "--outcome: expected one of allowed, denied, rejected, bypass, refused, unanswered, got 'maybe'"),
            (["sessions", "--store", store, "--since", "yesterday"], 2, "--since: expected an RFC 3339 time"),
            (["sessions", "--store", store, "--since", "1h", "--until", "2h"], 2, "--since 1h is after --until 2h"),
            (["sessions", "--store", store, "--uid", "alice"], 2, "--uid: expected a numeric uid, got 'alice'"),
            (["sessions", "--store", store, "--claim", "run_id"], 2, "--claim: expected name=value (repository=acme/app), got 'run_id'"),
            (["show", "run99", "--store", store], 2, "no run run99 in the store \(store)"),
            (["show", "c1", "--changes", "--store", store], 2, "--requests and --changes are for a run (run<N>), not c1"),
            (["show", "c99", "--store", store], 2, "no session c99 in the store \(store)"),
            (["show", "r99", "--store", store], 2, "no request r99 in the store \(store)"),
            (["replay", "g99", "--store", store], 2, "no guard event g99 in the store \(store)"),
            (["show", "pod/web-1", "--store", store], 2, "'pod/web-1' is not a record ID"),
            (["replay", "r2", "--store", store, "--speed=-1"], 2, "--speed: expected a number of times faster, 0 or more"),
            (["replay", "r1", "--store", store, "--speed", "0", "--asciicast", directory.path("x.cast")], 2,
             "r1 has no exec or attach stream: no asciicast written to \(directory.path("x.cast"))"),
            (["export", "--store", store, "--level", "Everything"], 2, "--level: expected one of Metadata, Request, RequestResponse, got 'Everything'"),
            (["export", "--store", store, "--format", "csv"], 2, "--format: expected audit, got 'csv'"),
        ]
        for (arguments, code, message) in cases {
            let run = try portcullis(arguments)
            #expect(run.status == .exited(code), "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(!FileManager.default.fileExists(atPath: directory.path("x.cast")))
    }

    @Test func showPrintsTheTimelineAndRequestsWithTheirEvents() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let session = try portcullis(["show", "c1", "--store", store])
        #expect(session.status == .exited(0), "\(session.stderr)")
        #expect(session.stdout.contains("""
            TIME                         ID  STATUS  LATENCY  OUTCOME  DECISION  USER   INTENT
            2026-01-01T12:00:00.100000Z  r1  200     10.0ms   allowed  -         alice  list pods in demo
            2026-01-01T12:00:01.000000Z  r2  101     50.0ms   allowed  -         alice  exec into pod web-1 in demo: sh
                stream 200.0ms: stdout 1 (3 B), stderr 1 (5 B), error 1 (
            """))
        let request = try portcullis(["show", "r2", "--store", store, "--json"])
        #expect(request.status == .exited(0))
        let json = try JSONParser.parse(request.stdout)
        #expect(json["events"]?.arrayValue?.map { $0["channel"] } == ["stdout", "stderr", "error"])
        #expect(json[path: "stream", "exitCode"] == 3)
        let guardEvent = try portcullis(["show", "g10", "--store", store])
        #expect(guardEvent.stdout.hasPrefix("guard event g10: bypass attempt at 2026-01-01T12:00:03.000000Z\n"))
    }

    @Test func replayPlaysTheExactBytesAndWritesAnAsciicast() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let raw = try portcullis(["replay", "r2", "--store", store, "--speed", "0", "--output-only"])
        #expect(raw.status == .exited(0))
        #expect(raw.stdout == "hi\n")
        #expect(raw.stderr == "oops\n")
        let cast = directory.path("exec.cast")
        let told = try portcullis(["replay", "c1", "--store", store, "--speed", "0", "--asciicast", cast])
        #expect(told.status == .exited(0), "\(told.stderr)")
        #expect(told.stderr == "oops\n")
        #expect(told.stdout == """
            == session c1: uid 1000 kubectl[4242] -> prod at 198.18.0.2:6443, opened 2026-01-01T12:00:00.000000Z
            -> r1 2026-01-01T12:00:00.100000Z alice: list pods in demo
               GET /api/v1/namespaces/demo/pods
            <- 200 after 10.0ms: PodList: 1 item: demo/web-1
            -> r2 2026-01-01T12:00:01.000000Z alice: exec into pod web-1 in demo: sh
               POST /api/v1/namespaces/demo/pods/web-1/exec?command=sh&stdout=true&stderr=true
            <- 101 after 50.0ms
            hi
            -- exit code 3

            """)
        let lines = try String(contentsOfFile: cast, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines.first == ["version": 2, "width": 80, "height": 24, "timestamp": .int(1_767_268_801), "title": "exec into pod web-1 in demo: sh"])
        #expect(lines.dropFirst().map { $0.arrayValue?.dropFirst().map(\.stringValue) } == [["o", "hi\n"], ["o", "oops\n"]])
        let mode = try FileManager.default.attributesOfItem(atPath: cast)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func exportWritesAuditEventsThatRoundTrip() throws {
        let directory = try TemporaryDirectory.create(purpose: "store-cli")
        defer { directory.remove() }
        let store = try Self.makeStore(in: directory)
        let run = try portcullis(["export", "--format", "audit", "--level", "RequestResponse", "--store", store, "--gateway-user", "gw"])
        #expect(run.status == .exited(0), "\(run.stderr)")
        let events = try run.stdout.split(separator: "\n").map { try AuditEvent(jsonLine: Array($0.utf8)) }
        #expect(events.map(\.auditID) == ["a-1", "a-2", "a-2", "a-3"])
        #expect(events.map(\.stage) == [.responseComplete, .responseStarted, .responseComplete, .responseComplete])
        #expect(events.allSatisfy { $0.user == UserInfo(username: "gw", groups: ["system:authenticated"]) })
        #expect(events[0].impersonatedUser == UserInfo(username: "alice", groups: ["devs", "system:authenticated"]))
        #expect(events[0].responseObject?["kind"] == "PodList")
        #expect(events[3].responseStatus == Status(status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401))
        let output = directory.path("audit.jsonl")
        let forwarded = try portcullis(["export", "--store", store, "--forwarded-only", "--since", "2026-01-01T12:00:00.5Z", "-o", output])
        #expect(forwarded.status == .exited(0))
        #expect(forwarded.stdout.isEmpty)
        let written = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { try AuditEvent(jsonLine: Array($0.utf8)) }
        #expect(written.map(\.auditID) == ["a-2", "a-2"])
        #expect(written.allSatisfy { $0.level == .metadata && $0.user.username == "portcullis" })
    }

    @Test func optionsBecomeFiltersInProcess() throws {
        let now = Self.at(3600)
        let command = try SessionsCommand.parse(["--store", "x", "--identity", "alice", "--outcome", "allowed,bypass", "--outcome", "denied",
                                                 "-n", "demo", "--resource", "pods/exec", "--verb", "CREATE", "--uid", "1000", "--since", "30m",
                                                 "--until", "2026-01-01T12:50:00Z"])
        let filter = try command.filter(now: now)
        #expect(filter == SessionFilter(usernames: ["alice"], verbs: ["create"], resources: ["pods/exec"], namespaces: ["demo"],
                                        outcomes: [.allowed, .bypass, .denied], uids: [1000], since: Self.at(1800), until: Self.at(3000)))
        let day = try SessionsCommand.parse(["--since", "2026-01-01"]).filter(now: now)
        #expect(day.since == Self.t0 - 12 * 3600 * 1_000_000)  // midnight UTC
        let replay = try ReplayCommand.parse(["r2", "--speed", "2.5", "--idle-limit", "1", "--output-only"])
        #expect(try replay.options() == ReplayOptions(speed: 2.5, idleLimit: 1, narrate: false, bodies: false))
        #expect(try ExportCommand.parse(["--level", "request"]).exporter().level == .request)
    }
}
