import Foundation
import GRDB
import Kube
import Store
import Testing

/// A recording written row by row with SQL, as the writer would leave it: every kind of session
/// the reading side must tell apart. Times are offsets from ``t0`` (2026-01-01T12:00:00Z).
///
/// | session | what |
/// |---|---|
/// | c1 | alice (devs), kubectl, cluster prod: r1 list pods (200, PodList), r2 watch pods (3 watch events), r3 create configmap cfg1 (201) |
/// | c2 | agent uid 1001, cluster prod: r4 delete namespace prod without a token (401, rejected), r5 bob gets secret db in prod (404 from the API server) |
/// | c3 | alice, kubectl exec in demo (pods/exec): r6 with stdin, stdout, stderr, two resizes, exit code 3 |
/// | c4 | refused connection, uid 1002 |
/// | g  | guard event: curl, uid 1003, to 10.0.0.10:6443 |
/// | c5 | carol (ops), cluster staging: r7 delete deployment web in staging denied by policy, r8 get pods in staging without a response |
struct ReadingFixture {
    static let t0: Int64 = 1_767_268_800 * 1_000_000
    static func at(_ seconds: Double) -> Int64 { t0 + Int64((seconds * 1_000_000).rounded()) }

    let directory: String
    let path: String
    /// The guard event's seq, its ID being `g<seq>`.
    let guardSeq: Int64

    static let podList = #"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"web-1","namespace":"demo"}},{"metadata":{"name":"web-2","namespace":"demo"}}]}"#
    static let configMap = #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg1","namespace":"demo"},"data":{"k":"v"}}"#
    static let createdConfigMap = #"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cfg1","namespace":"demo","uid":"0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11","resourceVersion":"101"},"data":{"k":"v"}}"#
    static let unauthorized = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"# + "\n"
    static let notFound = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"db\" not found","reason":"NotFound","details":{"name":"db","kind":"secrets"},"code":404}"# + "\n"
    static let forbidden = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deletes are held for review","reason":"Forbidden","code":403}"# + "\n"
    static let execStatus = ExecResult.exitCode(3, command: ["sh", "-c", "echo hi"]).statusBytes()
    static let execStdout: [UInt8] = Array("hi\n".utf8) + [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x0A] + Array("bye".utf8)
    static let execStderr: [UInt8] = Array("oops\n".utf8)

    static func make() throws -> ReadingFixture {
        let directory = NSTemporaryDirectory() + "pcl-reading-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/recording.sqlite"
        let pool = try DatabasePool(path: path)
        try StoreSchema.migrator().migrate(pool)
        var guardSeq: Int64 = 0
        try pool.write { db in
            var w = FixtureWriter(db: db)
            // c1: alice lists, watches and creates.
            try w.connection(id: 1, at: at(0), peer: "198.18.0.1:41234", cluster: "prod", uid: 1000, pid: 4242,
                             executable: "/usr/bin/kubectl", commandLine: #"["kubectl","get","pods","-n","demo"]"#)
            try w.request(id: 1, connection: 1, at: at(0.1), method: "GET", uri: "/api/v1/namespaces/demo/pods?limit=500", verb: "list",
                          resource: "pods", namespace: "demo", intent: "list pods in demo", user: "alice", groups: #"["devs"]"#)
            try w.response(request: 1, started: at(0.105), completed: at(0.112), code: 200, body: podList)
            try w.request(id: 2, connection: 1, at: at(0.2), method: "GET", uri: "/api/v1/namespaces/demo/pods?watch=true", verb: "watch",
                          resource: "pods", namespace: "demo", intent: "watch pods in demo", user: "alice", groups: #"["devs"]"#)
            for (i, type) in ["ADDED", "MODIFIED", "DELETED"].enumerated() {
                try w.event(request: 2, at: at(0.3 + Double(i)), direction: "upstream_to_client", channel: "watch",
                            data: Array(#"{"type":"\#(type)","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"demo"}}}"#.utf8))
            }
            try w.request(id: 3, connection: 1, at: at(1.0), method: "POST", uri: "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create",
                          verb: "create", resource: "configmaps", namespace: "demo", intent: "create configmap cfg1 in demo", user: "alice",
                          groups: #"["devs"]"#, body: configMap)
            try w.response(request: 3, started: at(1.004), completed: at(1.005), code: 201, body: createdConfigMap)
            try w.response(request: 2, started: at(0.21), completed: at(3.2), code: 200, body: nil, bytes: 600)
            try w.end(connection: 1, at: at(5))
            // c2: an agent without a token, then bob.
            try w.connection(id: 2, at: at(10), peer: "198.18.0.1:41300", cluster: "prod", uid: 1001, pid: 5000,
                             executable: "/usr/local/bin/agent", commandLine: nil)
            try w.request(id: 4, connection: 2, at: at(10.1), method: "DELETE", uri: "/api/v1/namespaces/prod", verb: "delete",
                          resource: "namespaces", namespace: "prod", name: "prod", intent: "delete namespace prod", user: nil, groups: nil)
            try w.response(request: 4, started: nil, completed: at(10.1003), code: 401, body: unauthorized, rejected: true,
                           reason: "no bearer token in the Authorization header")
            try w.request(id: 5, connection: 2, at: at(10.5), method: "GET", uri: "/api/v1/namespaces/prod/secrets/db", verb: "get",
                          resource: "secrets", namespace: "prod", name: "db", intent: "get secret db in prod", user: "bob", groups: #"["ops"]"#)
            try w.response(request: 5, started: at(10.51), completed: at(10.52), code: 404, body: notFound)
            try w.end(connection: 2, at: at(11))
            // c3: alice execs into web-1.
            try w.connection(id: 3, at: at(20), peer: "198.18.0.1:41400", cluster: "prod", uid: 1000, pid: 4300,
                             executable: "/usr/bin/kubectl", commandLine: #"["kubectl","exec","-i","web-1","--","sh"]"#)
            try w.request(id: 6, connection: 3, at: at(20.01), method: "POST",
                          uri: "/api/v1/namespaces/demo/pods/web-1/exec?command=sh&command=-c&command=echo+hi&stdin=true&stdout=true&stderr=true",
                          verb: "create", resource: "pods", subresource: "exec", namespace: "demo", name: "web-1",
                          intent: "exec into pod web-1 in demo: sh -c 'echo hi'", user: "alice", groups: #"["devs"]"#)
            let exec: [(Double, String, String, [UInt8])] = [
                (20.06, "client_to_upstream", "resize", Array(#"{"Width":100,"Height":30}"#.utf8)),
                (20.1, "client_to_upstream", "stdin", Array("echo hi\n".utf8)),
                (20.2, "upstream_to_client", "stdout", Array("hi\n".utf8)),
                (20.5, "upstream_to_client", "stderr", execStderr),
                (20.7, "upstream_to_client", "stdout", [0x63, 0x61, 0x66, 0xC3]),
                (20.8, "upstream_to_client", "stdout", [0xA9, 0x0A]),
                (20.9, "client_to_upstream", "stdin", Array("exit 3\n".utf8)),
                (20.95, "client_to_upstream", "resize", Array(#"{"Width":120,"Height":40}"#.utf8)),
                (21.0, "upstream_to_client", "stdout", Array("bye".utf8)),
                (21.5, "upstream_to_client", "error", execStatus),
                (21.6, "client_to_upstream", "close", [0]),
            ]
            for (time, direction, channel, data) in exec {
                try w.event(request: 6, at: at(time), direction: direction, channel: channel, data: data)
            }
            try w.response(request: 6, started: at(20.05), completed: at(21.7), code: 101, body: nil, bytes: 900)
            try w.end(connection: 3, at: at(21.8))
            // c4: refused.
            try w.refused(id: 4, at: at(30), uid: 1002, reason: "the original destination is not a configured API endpoint")
            // A bypass attempt.
            guardSeq = try w.guardEvent(at: at(40))
            // c5: carol is denied by policy, and a request never answered.
            try w.connection(id: 5, at: at(50), peer: "198.18.0.1:41500", cluster: "staging", uid: 1004, pid: 6000,
                             executable: "/usr/bin/kubectl", commandLine: nil)
            try w.request(id: 7, connection: 5, at: at(50.1), method: "DELETE", uri: "/apis/apps/v1/namespaces/staging/deployments/web",
                          verb: "delete", group: "apps", resource: "deployments", namespace: "staging", name: "web",
                          intent: "delete deployment web in staging", user: "carol", groups: #"["ops"]"#, decision: "deny",
                          rule: "no-deletes", decisionReason: "deletes are held for review")
            try w.response(request: 7, started: nil, completed: at(50.1002), code: 403, body: forbidden, rejected: true,
                           reason: "denied by policy")
            try w.request(id: 8, connection: 5, at: at(50.2), method: "GET", uri: "/api/v1/namespaces/staging/pods", verb: "list",
                          resource: "pods", namespace: "staging", intent: "list pods in staging", user: "carol", groups: #"["ops"]"#)
        }
        return ReadingFixture(directory: directory, path: path, guardSeq: guardSeq)
    }

    func reader() throws -> StoreReader { try StoreReader.open(path: path) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Inserts rows with increasing `seq`, as the writer commits them. Hashes are placeholders.
struct FixtureWriter {
    let db: Database
    var seq: Int64 = 0
    let hash = Data(repeating: 0xAB, count: 32)

    mutating func next() -> Int64 {
        seq += 1
        return seq
    }

    mutating func connection(id: Int64, at: Int64, peer: String, cluster: String, uid: Int64, pid: Int64, executable: String,
                             commandLine: String?) throws {
        try db.execute(sql: """
            INSERT INTO connections (seq, hash, id, opened_at, peer, original_destination, cluster, outcome, uid, gid, pid, executable, command_line)
            VALUES (?, ?, ?, ?, ?, '198.18.0.2:6443', ?, 'allowed', ?, ?, ?, ?, ?)
            """, arguments: [next(), hash, id, at, peer, cluster, uid, uid, pid, executable, commandLine])
    }

    mutating func refused(id: Int64, at: Int64, uid: Int64, reason: String) throws {
        try db.execute(sql: """
            INSERT INTO connections (seq, hash, id, opened_at, peer, original_destination, outcome, reason, uid, pid, executable)
            VALUES (?, ?, ?, ?, '198.18.0.1:41600', '198.18.0.9:443', 'refused', ?, ?, 7000, '/usr/bin/python3')
            """, arguments: [next(), hash, id, at, reason, uid])
    }

    mutating func end(connection: Int64, at: Int64) throws {
        try db.execute(sql: "INSERT INTO connection_ends (seq, hash, connection_id, closed_at) VALUES (?, ?, ?, ?)",
                       arguments: [next(), hash, connection, at])
    }

    mutating func request(id: Int64, connection: Int64, at: Int64, method: String, uri: String, verb: String, group: String = "",
                          resource: String, subresource: String = "", namespace: String, name: String = "", intent: String,
                          user: String?, groups: String?, body: String? = nil, decision: String? = nil, rule: String? = nil,
                          decisionReason: String? = nil) throws {
        try db.execute(sql: """
            INSERT INTO requests (seq, hash, id, connection_id, received_at, method, uri, verb, api_group, api_version, resource,
                subresource, namespace, name, is_resource_request, intent, audit_id, user_agent, username, groups, extra, issuer, subject,
                headers, body, body_truncated, decision, decision_rule, decision_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'v1', ?, ?, ?, ?, 1, ?, ?, 'kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07', ?, ?, ?,
                ?, ?, '[["Accept","application/json"],["Authorization","[REDACTED]"]]', ?, 0, ?, ?, ?)
            """, arguments: [next(), hash, id, connection, at, method, uri, verb, group, resource, subresource, namespace, name, intent,
                             "audit-\(id)", user, groups, user.map { #"{"email":["\#($0)@example.com"]}"# },
                             user.map { _ in "https://issuer.example.com" }, user.map { "sub-\($0)" }, body.map { Data($0.utf8) },
                             decision, rule, decisionReason])
    }

    mutating func response(request: Int64, started: Int64?, completed: Int64, code: Int, body: String?, bytes: Int64? = nil,
                           rejected: Bool = false, reason: String? = nil) throws {
        try db.execute(sql: """
            INSERT INTO responses (seq, hash, request_id, started_at, completed_at, status_code, headers, body, body_truncated, bytes,
                rejected, reason)
            VALUES (?, ?, ?, ?, ?, ?, '[["Content-Type","application/json"]]', ?, 0, ?, ?, ?)
            """, arguments: [next(), hash, request, started, completed, code, body.map { Data($0.utf8) },
                             bytes ?? Int64(body?.utf8.count ?? 0), rejected, reason])
    }

    mutating func event(request: Int64, at: Int64, direction: String, channel: String, data: [UInt8]) throws {
        try db.execute(sql: "INSERT INTO stream_events (seq, hash, request_id, at, direction, channel, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [next(), hash, request, at, direction, channel, Data(data)])
    }

    mutating func guardEvent(at: Int64) throws -> Int64 {
        let seq = next()
        try db.execute(sql: """
            INSERT INTO guard_events (seq, hash, at, protocol, source, source_port, destination, destination_port, uid, gid, pid,
                executable, command_line, out_interface, note)
            VALUES (?, ?, ?, 'tcp', '10.0.0.5', 51000, '10.0.0.10', 6443, 1003, 1003, 8000, '/usr/bin/curl',
                '["curl","-k","https://10.0.0.10:6443/api"]', 'eth0', 'SYN dropped by the guard')
            """, arguments: [seq, hash, at])
        return seq
    }
}

@Suite struct ReadingFixtureTests {
    @Test func theFixtureOpensReadOnlyAndHoldsEverySessionKind() throws {
        let fixture = try ReadingFixture.make()
        defer { fixture.remove() }
        let sessions = try fixture.reader().sessions()
        #expect(sessions.map(\.reference.description) == ["c1", "c2", "c3", "c4", "g\(fixture.guardSeq)", "c5"])
        #expect(sessions.map(\.kind) == [.connection, .connection, .connection, .refused, .bypass, .connection])
    }
}
