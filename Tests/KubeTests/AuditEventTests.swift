import Kube
import Testing

struct AuditEventTests {
    /// The Metadata-level example of kubernetes-wire.md section 2.
    static let example = AuditEvent(
        level: .metadata, auditID: "6c3b62fc-41e7-4f74-b8aa-82e943039013", stage: .responseComplete,
        requestURI: "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create&fieldValidation=Strict", verb: "create",
        user: UserInfo(username: "system:serviceaccount:proxy:recorder", uid: "1f0e…",
                       groups: ["system:serviceaccounts", "system:serviceaccounts:proxy", "system:authenticated"]),
        impersonatedUser: UserInfo(username: "alice", uid: "1234", groups: ["devs", "system:authenticated"]),
        sourceIPs: ["10.0.0.7"], userAgent: "kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07",
        objectRef: ObjectReference(resource: "configmaps", namespace: "demo", name: "cfg1", apiVersion: "v1"),
        responseStatus: Status(status: nil, code: 201),
        requestReceivedTimestamp: KubeTime(microseconds: 1_795_932_227_388_237),
        stageTimestamp: KubeTime(microseconds: 1_795_932_227_395_604),
        annotations: [
            "authorization.k8s.io/reason": #"RBAC: allowed by RoleBinding "dev/demo" of ClusterRole "edit" to User "alice""#,
            "authorization.k8s.io/decision": "allow",
        ])

    /// As in the notes, except that Go's encoder writes the `&` of requestURI as `\u0026`.
    static let exampleLine =
        #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6c3b62fc-41e7-4f74-b8aa-82e943039013","stage":"ResponseComplete","#
        + #""requestURI":"/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create\u0026fieldValidation=Strict","verb":"create","#
        + #""user":{"username":"system:serviceaccount:proxy:recorder","uid":"1f0e…","groups":["system:serviceaccounts","system:serviceaccounts:proxy","system:authenticated"]},"#
        + #""impersonatedUser":{"username":"alice","uid":"1234","groups":["devs","system:authenticated"]},"#
        + #""sourceIPs":["10.0.0.7"],"userAgent":"kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07","#
        + #""objectRef":{"resource":"configmaps","namespace":"demo","name":"cfg1","apiVersion":"v1"},"#
        + #""responseStatus":{"metadata":{},"code":201},"#
        + #""requestReceivedTimestamp":"2026-11-29T06:03:47.388237Z","stageTimestamp":"2026-11-29T06:03:47.395604Z","#
        + #""annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"dev/demo\" of ClusterRole \"edit\" to User \"alice\""}}"#

    @Test func encodesTheExampleByteForByte() {
        #expect(Self.example.jsonBytes() == Array(Self.exampleLine.utf8))
    }

    @Test func decodesTheExample() throws {
        #expect(try AuditEvent(jsonLine: Array(Self.exampleLine.utf8)) == Self.example)
    }

    @Test func requestLevelRoundTripsWithObjectsAndExtras() throws {
        var event = Self.example
        event.level = .requestResponse
        event.user.extra = ["scopes.example.com/b": ["x"], "a": ["1", "2"]]
        event.requestObject = ["kind": "ConfigMap", "apiVersion": "v1", "metadata": ["name": "cfg1", "namespace": "demo"], "data": ["k": "v"]]
        event.responseObject = ["kind": "ConfigMap", "metadata": ["resourceVersion": "7"], "replicas": 3, "ratio": 0.5]
        event.responseStatus = Status(message: "nodes is forbidden", reason: "Forbidden", details: StatusDetails(kind: "nodes"), code: 403)
        let line = event.jsonString
        #expect(line.contains(#""extra":{"a":["1","2"],"scopes.example.com/b":["x"]}"#))
        #expect(line.contains(#""responseStatus":{"metadata":{},"status":"Failure","message":"nodes is forbidden","reason":"Forbidden","details":{"kind":"nodes"},"code":403},"#))
        #expect(line.contains(#""requestObject":{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"name":"cfg1","namespace":"demo"}},"responseObject":{"kind":"ConfigMap","metadata":{"resourceVersion":"7"},"ratio":0.5,"replicas":3},"requestReceivedTimestamp""#))
        #expect(try AuditEvent(jsonLine: Array(line.utf8)) == event)
    }

    @Test func omitsEmptyOptionalFields() {
        let event = AuditEvent(level: .none, auditID: "id", stage: .requestReceived, requestURI: "/version", verb: "get",
                               user: UserInfo(username: "system:anonymous"), requestReceivedTimestamp: KubeTime(seconds: 0),
                               stageTimestamp: KubeTime(seconds: 1))
        #expect(event.jsonString ==
            #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"None","auditID":"id","stage":"RequestReceived","requestURI":"/version","verb":"get","user":{"username":"system:anonymous"},"requestReceivedTimestamp":"1970-01-01T00:00:00.000000Z","stageTimestamp":"1970-01-01T00:00:01.000000Z"}"#)
    }

    @Test func objectRefFromRequestInfo() throws {
        let info = try RequestInfoResolver.resolve(method: "GET", target: "/apis/apps/v1/namespaces/x/deployments/d/scale")
        #expect(ObjectReference(info) == ObjectReference(resource: "deployments", namespace: "x", name: "d", apiGroup: "apps",
                                                         apiVersion: "v1", subresource: "scale"))
        #expect(ObjectReference(try RequestInfoResolver.resolve(method: "GET", target: "/version")) == nil)
    }

    static func replacing(_ key: String, with value: String?) -> String {
        var json = (try? JSONParser.parse(exampleLine)) ?? .null
        json[key] = value.map { .string($0) }
        return json.jsonString
    }

    @Test(arguments: [
        ("level", "Loud", "level: unknown level"),
        ("stage", nil, "stage: missing or not a string"),
        ("auditID", nil, "auditID: missing or not a string"),
        ("verb", nil, "verb: missing or not a string"),
        ("requestURI", nil, "requestURI: missing or not a string"),
        ("user", "alice", "user: missing or not an object"),
        ("requestReceivedTimestamp", "yesterday", "requestReceivedTimestamp: not an RFC 3339 time"),
        ("stageTimestamp", "2026-02-30T00:00:00.000000Z", "stageTimestamp: not an RFC 3339 time"),
        ("kind", "Pod", "kind: not an audit.k8s.io/v1 Event"),
        ("apiVersion", "audit.k8s.io/v1beta1", "kind: not an audit.k8s.io/v1 Event"),
    ] as [(String, String?, String)])
    func decodingErrorsNameTheField(_ key: String, _ value: String?, _ description: String) throws {
        let line = Self.replacing(key, with: value)
        let error = try #require(throws: AuditEventDecodingError.self) { try AuditEvent(jsonLine: Array(line.utf8)) }
        #expect(error.description == description)
    }

    @Test func badResponseStatusAndNonJSON() throws {
        var json = try JSONParser.parse(Self.exampleLine)
        json["responseStatus"] = ["kind": "Pod"]
        let status = try #require(throws: AuditEventDecodingError.self) { try AuditEvent(json: json) }
        #expect(status.field == "responseStatus")
        #expect(status.message == "expected kind Status, got Pod")
        let notJSON = try #require(throws: AuditEventDecodingError.self) { try AuditEvent(jsonLine: Array("{".utf8)) }
        #expect(notJSON.field == "")
        #expect(notJSON.description == "not JSON: unexpected end of JSON input (at byte 1)")
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59Z"),
        (1_795_932_227_388_237, "2026-11-29T06:03:47.388237Z", "2026-11-29T06:03:47Z"),
        (1_709_251_199_000_050, "2024-02-29T23:59:59.000050Z", "2024-02-29T23:59:59Z"),
        (-2_203_891_200_000_000, "1900-03-01T00:00:00.000000Z", "1900-03-01T00:00:00Z"),
    ])
    func microTimeFormatting(_ micros: Int64, _ micro: String, _ seconds: String) {
        let time = KubeTime(microseconds: micros)
        #expect(time.rfc3339Micro == micro)
        #expect(time.rfc3339 == seconds)
        #expect(KubeTime(rfc3339: micro) == time)
    }

    @Test func userAgentTruncation() {
        let exact = String(repeating: "k", count: 1024)
        #expect(AuditEvent.recordedUserAgent(exact) == exact)
        #expect(AuditEvent.recordedUserAgent(exact + "!") == exact + "...TRUNCATED")
        #expect(AuditEvent.recordedUserAgent("kubectl/v1.32.4") == "kubectl/v1.32.4")
    }

    /// Go cuts at 1024 bytes; bytes of a split character become U+FFFD, one each.
    @Test func userAgentTruncationCountsBytes() {
        let twoByte = "a" + String(repeating: "é", count: 600)
        #expect(AuditEvent.recordedUserAgent(twoByte) == "a" + String(repeating: "é", count: 511) + "\u{FFFD}...TRUNCATED")
        let fourByte = "ab" + String(repeating: "😀", count: 300)
        #expect(AuditEvent.recordedUserAgent(fourByte) == "ab" + String(repeating: "😀", count: 255) + "\u{FFFD}\u{FFFD}...TRUNCATED")
        let aligned = String(repeating: "😀", count: 300)
        #expect(AuditEvent.recordedUserAgent(aligned) == String(repeating: "😀", count: 256) + "...TRUNCATED")
    }
}
