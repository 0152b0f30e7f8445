import Foundation
import Kube
import Store
import Testing

@Suite struct StoreExportTests {
    /// Every Event of the store at `level`, written as JSON lines and read back with `AuditEvent(jsonLine:)`.
    func exported(_ fixture: ReadingFixture, level: AuditEvent.Level,
                  gatewayUser: UserInfo = AuditExporter.gatewayUser()) throws -> (lines: [String], events: [AuditEvent]) {
        let exporter = AuditExporter(level: level, gatewayUser: gatewayUser)
        let requests = try fixture.reader().requests(bodies: exporter.needsBodies)
        let lines = requests.flatMap(exporter.events(for:)).map(\.jsonString)
        let events = try lines.map { try AuditEvent(jsonLine: Array($0.utf8)) }
        return (lines, events)
    }

    static let gateway = UserInfo(username: "portcullis", groups: ["system:authenticated"])
    static let alice = UserInfo(username: "alice", groups: ["devs", "system:authenticated"], extra: ["email": ["alice@example.com"]])
    static let userAgent = "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"
    static func time(_ seconds: Double) -> KubeTime { KubeTime(microseconds: ReadingFixture.at(seconds)) }
    static func annotations(_ session: String, _ request: String, _ intent: String, cluster: String = "prod",
                            _ more: [String: String] = [:]) -> [String: String] {
        ["portcullis.io/session": session, "portcullis.io/request": request, "portcullis.io/intent": intent,
         "portcullis.io/cluster": cluster].merging(more) { _, new in new }
    }

    @Test func everyRequestGetsItsStagesInCommitOrder() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (_, events) = try exported(f, level: .metadata)
        #expect(events.map { "\($0.annotations["portcullis.io/request"] ?? "?") \($0.stage.rawValue)" } == [
            "r1 ResponseComplete",
            "r2 ResponseStarted", "r2 ResponseComplete",
            "r3 ResponseComplete",
            "r4 ResponseComplete",
            "r5 ResponseComplete",
            "r6 ResponseStarted", "r6 ResponseComplete",
            "r7 ResponseComplete",
            "r8 RequestReceived",
        ])
        #expect(Set(events.map(\.level)) == [.metadata])
        #expect(events.allSatisfy { $0.requestObject == nil && $0.responseObject == nil })
    }

    @Test func aCreateAtRequestResponseLevelMatchesFieldByField() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (lines, events) = try exported(f, level: .requestResponse)
        let create = try #require(events.first { $0.auditID == "audit-3" })
        let expected = AuditEvent(
            level: .requestResponse, auditID: "audit-3", stage: .responseComplete,
            requestURI: "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create", verb: "create",
            user: Self.gateway, impersonatedUser: Self.alice, sourceIPs: ["198.18.0.1"], userAgent: Self.userAgent,
            objectRef: ObjectReference(resource: "configmaps", namespace: "demo", name: "cfg1", apiVersion: "v1"),
            responseStatus: Status(status: nil, code: 201),
            requestObject: try JSONParser.parse(ReadingFixture.configMap),
            responseObject: try JSONParser.parse(ReadingFixture.createdConfigMap),
            requestReceivedTimestamp: Self.time(1.0), stageTimestamp: Self.time(1.005),
            annotations: Self.annotations("c1", "r3", "create configmap cfg1 in demo",
                                          ["portcullis.io/caller-uid": "1000", "portcullis.io/caller-pid": "4242",
                                           "portcullis.io/caller-program": "kubectl"]))
        #expect(create == expected)
        // The line is kube-apiserver's shape: Go field order, the core group omitted, success without status.
        let line = try #require(lines.first { $0.contains(#""auditID":"audit-3""#) })
        #expect(line.hasPrefix(#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"audit-3","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create","verb":"create","user":{"username":"portcullis","groups":["system:authenticated"]},"impersonatedUser":{"username":"alice","groups":["devs","system:authenticated"],"extra":{"email":["alice@example.com"]}},"sourceIPs":["198.18.0.1"],"userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07","objectRef":{"resource":"configmaps","namespace":"demo","name":"cfg1","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":"#))
        #expect(line.contains(#""requestReceivedTimestamp":"2026-01-01T12:00:01.000000Z","stageTimestamp":"2026-01-01T12:00:01.005000Z""#))
    }

    @Test func levelsAddTheObjectsTheyPromise() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        for level in [AuditEvent.Level.metadata, .request, .requestResponse] {
            let (_, events) = try exported(f, level: level)
            let create = try #require(events.first { $0.auditID == "audit-3" })
            #expect((create.requestObject != nil) == (level != .metadata), "\(level)")
            #expect((create.responseObject != nil) == (level == .requestResponse), "\(level)")
            // The name of a created object comes from its body at every level, as kube-apiserver does.
            #expect(create.objectRef?.name == "cfg1")
            // A list's response object is the list.
            let list = try #require(events.first { $0.auditID == "audit-1" })
            let expectedList: JSONValue? = level == .requestResponse ? try JSONParser.parse(ReadingFixture.podList) : Optional<JSONValue>.none
            #expect(list.responseObject == expectedList)
            #expect(list.requestObject == nil)
            // Streams have no response object.
            #expect(events.filter { $0.auditID == "audit-2" || $0.auditID == "audit-6" }.allSatisfy { $0.responseObject == nil })
        }
    }

    @Test func errorsCarryTheStatusFieldsOfTheResponseBody() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (_, events) = try exported(f, level: .metadata)
        let unauthorized = try #require(events.first { $0.auditID == "audit-4" })
        #expect(unauthorized == AuditEvent(
            level: .metadata, auditID: "audit-4", stage: .responseComplete, requestURI: "/api/v1/namespaces/prod", verb: "delete",
            user: Self.gateway, impersonatedUser: nil, sourceIPs: ["198.18.0.1"], userAgent: Self.userAgent,
            objectRef: ObjectReference(resource: "namespaces", namespace: "prod", name: "prod", apiVersion: "v1"),
            responseStatus: Status(status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401),
            requestReceivedTimestamp: Self.time(10.1), stageTimestamp: Self.time(10.1003),
            annotations: Self.annotations("c2", "r4", "delete namespace prod",
                                          ["portcullis.io/rejected": "true",
                                           "portcullis.io/rejected-reason": "no bearer token in the Authorization header",
                                           "portcullis.io/caller-uid": "1001", "portcullis.io/caller-pid": "5000",
                                           "portcullis.io/caller-program": "agent"])))
        let notFound = try #require(events.first { $0.auditID == "audit-5" })
        #expect(notFound.responseStatus == Status(status: "Failure", message: "secrets \"db\" not found", reason: "NotFound",
                                                  details: StatusDetails(name: "db", kind: "secrets"), code: 404))
        #expect(notFound.impersonatedUser == UserInfo(username: "bob", groups: ["ops", "system:authenticated"],
                                                       extra: ["email": ["bob@example.com"]]))
        let denied = try #require(events.first { $0.auditID == "audit-7" })
        #expect(denied.objectRef == ObjectReference(resource: "deployments", namespace: "staging", name: "web", apiGroup: "apps", apiVersion: "v1"))
        #expect(denied.annotations["portcullis.io/decision"] == "deny")
        #expect(denied.annotations["portcullis.io/decision-rule"] == "no-deletes")
        #expect(denied.annotations["portcullis.io/decision-reason"] == "deletes are held for review")
        #expect(denied.annotations["portcullis.io/cluster"] == "staging")
        #expect(denied.responseStatus?.code == 403)
    }

    @Test func longRunningRequestsStartBeforeTheyComplete() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (_, events) = try exported(f, level: .request)
        let exec = events.filter { $0.auditID == "audit-6" }
        #expect(exec.map(\.stage) == [.responseStarted, .responseComplete])
        #expect(exec.map(\.stageTimestamp) == [Self.time(20.05), Self.time(21.7)])
        #expect(exec.map(\.responseStatus) == [Status(status: nil, code: 101), Status(status: nil, code: 101)])
        #expect(exec.allSatisfy { $0.objectRef == ObjectReference(resource: "pods", namespace: "demo", name: "web-1", apiVersion: "v1", subresource: "exec") })
        #expect(exec.allSatisfy { $0.requestReceivedTimestamp == Self.time(20.01) })
        let watch = events.filter { $0.auditID == "audit-2" }
        #expect(watch.map(\.stage) == [.responseStarted, .responseComplete])
        #expect(watch[0].stageTimestamp == Self.time(0.21))
        let unanswered = try #require(events.first { $0.auditID == "audit-8" })
        #expect(unanswered.stage == .requestReceived)
        #expect(unanswered.responseStatus == nil)
        #expect(unanswered.stageTimestamp == unanswered.requestReceivedTimestamp)
    }

    @Test func theGatewaysNameIsConfigurable() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let (_, events) = try exported(f, level: .metadata, gatewayUser: AuditExporter.gatewayUser("system:serviceaccount:portcullis:gateway"))
        #expect(events.allSatisfy { $0.user == UserInfo(username: "system:serviceaccount:portcullis:gateway", groups: ["system:authenticated"]) })
    }

    @Test func pagingAndTheTimeRangeSelectRequestsInCommitOrder() throws {
        let f = try ReadingFixture.make()
        defer { f.remove() }
        let reader = try f.reader()
        var ids: [Int64] = []
        var after: Int64 = 0
        while true {
            let page = try reader.requests(afterSeq: after, limit: 3)
            guard let last = page.last else { break }
            #expect(page.count <= 3)
            ids += page.map(\.id)
            after = last.seq
        }
        #expect(ids == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try reader.requests(since: ReadingFixture.at(10), until: ReadingFixture.at(21)).map(\.id) == [4, 5, 6])
    }
}
