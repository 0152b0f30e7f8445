import Foundation
import GRDB
import Intercept
import Kube
@testable import Proxy
import Store
import Testing

/// `show RUN`: kubectl invocations folded into commands, and what a run changed.
@Suite struct StoreRunChangesTests {
    /// One exchange by `token`'s holder: request (with kubectl's headers when `session` is given),
    /// then its response with `body`, or the gateway's refusal when `decision` denies.
    static func call(_ id: UInt64, _ method: String, _ uri: String, token: String, session: String? = nil, command: String? = nil,
                     body: String = "", status: Int = 200, response: String = "", at offset: Int64,
                     decision: PolicyDecision? = nil) -> [ProxyEvent] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let session { headers.append(("Kubectl-Session", session)) }
        if let command { headers.append(("Kubectl-Command", command)) }
        var record = TestEvents.request(id, connection: 1, method: method, uri: uri, headers: headers, body: Array(body.utf8), at: offset)
        record.tokenFingerprint = TokenFingerprint.of(token)
        record.decision = decision
        if record.info.verb == "create", let name = KubeBody.json(Array(body.utf8))?[path: "metadata", "name"]?.stringValue {
            record.intent = Intent.describe(record.info, query: RequestTarget(uri).query, objectName: name)
        }
        if decision?.effect == .deny {
            return [.requestReceived(record),
                    .requestRejected(RequestID(id), time: TestEvents.time(offset + 50), status: Status(message: "denied", reason: "Forbidden", code: 403),
                                     reason: "denied by rule no-namespace-deletes")]
        }
        return [.requestReceived(record),
                .responseStarted(RequestID(id), time: TestEvents.time(offset + 100), status: status, headers: [("Content-Type", "application/json")]),
                .responseBody(RequestID(id), bytes: Array(response.utf8)),
                .responseCompleted(RequestID(id), time: TestEvents.time(offset + 200), bytes: response.utf8.count)]
    }

    static func deployment(replicas: Int, resourceVersion: Int) -> String {
        #"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"api","namespace":"demo","resourceVersion":"\#(resourceVersion)","generation":\#(replicas)},"#
            + #""spec":{"replicas":\#(replicas),"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"#
            + #""spec":{"containers":[{"name":"nginx","image":"nginx"}]}}},"status":{"replicas":\#(replicas)}}"#
    }

    static let pod = #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"demo","resourceVersion":"7"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#

    @Test("one kubectl apply of three objects folds into one command; another invocation is another line")
    func kubectlInvocationsFold() throws {
        let f = try StoreFixture.make("runs-fold")
        defer { f.close() }
        try f.record(StoreRunsTests.opened(1))
        var events: [ProxyEvent] = []
        var id: UInt64 = 1
        func add(_ method: String, _ uri: String, session: String, command: String, body: String = "", status: Int = 200,
                 response: String = "{}") {
            events += Self.call(id, method, uri, token: "a", session: session, command: command, body: body, status: status, response: response,
                                at: Int64(id) * 10_000)
            id += 1
        }
        add("GET", "/api", session: "s1", command: "kubectl apply")
        add("GET", "/apis", session: "s1", command: "kubectl apply")
        for (collection, name, kind) in [("/api/v1/namespaces", "demo", "Namespace"), ("/api/v1/namespaces/demo/pods", "web-1", "Pod"),
                                         ("/api/v1/namespaces/demo/configmaps", "settings", "ConfigMap")] {
            add("GET", "\(collection)/\(name)", session: "s1", command: "kubectl apply", status: 404, response: #"{"kind":"Status","code":404}"#)
            add("POST", "\(collection)?fieldManager=kubectl-client-side-apply", session: "s1", command: "kubectl apply",
                body: #"{"kind":"\#(kind)","metadata":{"name":"\#(name)"}}"#, status: 201, response: #"{"kind":"\#(kind)","metadata":{"name":"\#(name)"}}"#)
        }
        add("DELETE", "/api/v1/namespaces/demo/pods/web-1", session: "s2", command: "kubectl delete", response: Self.pod)
        try f.record(events)
        let reader = StoreReader(f.database)
        let runID = try #require(try f.rows("SELECT id FROM runs").first?["id"] as Int64?)
        let timeline = try #require(try reader.runTimeline(id: runID))
        let commands = timeline.commands
        #expect(commands.map(\.text) == ["kubectl apply namespace demo, pod web-1 -n demo, configmap settings -n demo",
                                          "kubectl delete pod web-1 -n demo"])
        #expect(commands.map(\.requests.count) == [8, 1])
        #expect(timeline.userAgents == ["kubectl/v1.32.5"])
        let text = RunText.run(timeline, changes: try reader.changes(run: runID), requests: false, bodies: false)
        #expect(text.components(separatedBy: "kubectl apply").count == 2, "one line for the apply:\n\(text)")
        #expect(text.contains("changes      3 created, 1 deleted"), "\(text)")
        let expanded = RunText.run(timeline, changes: nil, requests: true, bodies: false)
        #expect(expanded.contains("create configmap settings in demo"), "\(expanded)")
    }

    @Test("changes: the created object, the replicas diff against the last recorded state (1 → 3), the deleted pod's last state; a denied delete apart")
    func changes() throws {
        let f = try StoreFixture.make("runs-changes")
        defer { f.close() }
        try f.record(StoreRunsTests.opened(1))
        // Another run (another token) created the pod earlier.
        try f.record(Self.call(1, "POST", "/api/v1/namespaces/demo/pods", token: "setup", body: Self.pod, status: 201, response: Self.pod, at: 1_000))
        try f.record(Self.call(2, "POST", "/apis/apps/v1/namespaces/demo/deployments", token: "agent",
                               body: Self.deployment(replicas: 1, resourceVersion: 1), status: 201,
                               response: Self.deployment(replicas: 1, resourceVersion: 10), at: 10_000))
        try f.record(Self.call(3, "PATCH", "/apis/apps/v1/namespaces/demo/deployments/api", token: "agent", body: #"{"spec":{"replicas":3}}"#,
                               response: Self.deployment(replicas: 3, resourceVersion: 11), at: 20_000))
        try f.record(Self.call(4, "DELETE", "/api/v1/namespaces/demo/pods/web-1", token: "agent",
                               response: #"{"kind":"Status","apiVersion":"v1","status":"Success"}"#, at: 30_000))
        try f.record(Self.call(5, "DELETE", "/api/v1/namespaces/demo", token: "agent", at: 40_000,
                               decision: PolicyDecision(effect: .deny, source: .rule("no-namespace-deletes"), reason: "never")))
        try f.record(Self.call(6, "POST", "/api/v1/namespaces/demo/configmaps?dryRun=All", token: "agent",
                               body: #"{"kind":"ConfigMap","metadata":{"name":"x"}}"#, status: 201, response: "{}", at: 50_000))
        let reader = StoreReader(f.database)
        let runID = try #require(try f.rows("SELECT run_id FROM requests WHERE id = (SELECT max(id) FROM requests)").first?["run_id"] as Int64?)
        let changes = try #require(try reader.changes(run: runID))
        #expect(changes.accepted.map(\.action) == ["created", "patched", "deleted"])
        #expect(changes.accepted.map(\.target) == ["deployment api -n demo", "deployment api -n demo", "pod web-1 -n demo"])
        #expect(changes.accepted[0].object?[path: "spec", "replicas"] == 1)
        #expect(changes.accepted[1].fields == [FieldChange(path: "spec.replicas", before: 1, after: 3)], "\(changes.accepted[1].fields)")
        #expect(changes.accepted[1].earlierState != nil)
        #expect(changes.accepted[2].object?[path: "spec", "containers"]?.arrayValue?.first?["image"] == "nginx")
        #expect(changes.accepted[2].earlierState != nil)
        #expect(changes.refused.map(\.verb) == ["delete"] && changes.refused[0].outcome == .denied)
        #expect(changes.countText == "1 created, 1 patched, 1 deleted; 1 denied")
        let text = ChangesText.text(changes)
        #expect(text.contains("spec.replicas: 1 → 3"), "\(text)")
        #expect(text.contains("denied: never"), "\(text)")
        let json = try JSONParser.parse(ChangesText.json(changes))
        #expect(json["changes"]?.arrayValue?.count == 3 && json["notMade"]?.arrayValue?.count == 1)
        #expect(json["changes"]?.arrayValue?[1]["fields"]?.arrayValue?.first?["after"] == 3)
    }

    @Test("a patch of an object with no earlier recorded state shows the patch as sent")
    func patchWithoutEarlierState() throws {
        let f = try StoreFixture.make("runs-patch")
        defer { f.close() }
        try f.record(StoreRunsTests.opened(1))
        try f.record(Self.call(1, "PATCH", "/apis/apps/v1/namespaces/demo/deployments/api", token: "agent", body: #"{"spec":{"replicas":3}}"#,
                               response: Self.deployment(replicas: 3, resourceVersion: 11), at: 20_000))
        let changes = try #require(try StoreReader(f.database).changes(run: 1))
        #expect(changes.accepted.first?.sent == #"{"spec":{"replicas":3}}"#)
        #expect(ChangesText.text(changes).contains("no earlier state recorded; sent:"))
    }

    @Test("tail sees each decision once, after its commit, with its run; from --since it starts earlier")
    func tail() throws {
        let f = try StoreFixture.make("runs-tail")
        defer { f.close() }
        try f.record(StoreRunsTests.opened(1))
        try f.record(Self.call(1, "GET", "/api/v1/namespaces/demo/pods", token: "agent", response: "{}", at: 1_000))
        let reader = StoreReader(f.database)
        let fromNow = try StoreTail(reader: reader, filter: SessionFilter())
        let fromStart = try StoreTail(reader: reader, filter: SessionFilter(), since: TestEvents.time(0).microseconds)
        #expect(try fromNow.next().isEmpty)
        try f.record(Self.call(2, "DELETE", "/api/v1/namespaces/demo", token: "agent", at: 2_000,
                               decision: PolicyDecision(effect: .deny, source: .rule("no-namespace-deletes"), reason: "never")))
        let seen = try fromNow.next()
        #expect(seen.map(\.reference) == [.request(2)] && seen.first?.decision == "deny" && seen.first?.status == 403, "\(seen)")
        #expect(seen.first?.runID != nil)
        #expect(try fromNow.next().isEmpty)
        #expect(try fromStart.next().map(\.reference) == [.request(1), .request(2)])
        let line = TailText.line(try #require(seen.first))
        #expect(line.contains("delete namespace demo") && line.contains("deny") && line.contains("docker:4f3a2b1c4f3a uid 1000"), "\(line)")
        let json = try JSONParser.parse(TailText.json(try #require(seen.first)))
        #expect(json["decision"] == "deny" && json["status"] == 403 && json["run"]?.stringValue?.hasPrefix("run") == true)
    }
}
