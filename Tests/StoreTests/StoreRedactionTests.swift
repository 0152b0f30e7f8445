import Foundation
import GRDB
import Kube
import NIOCore
@testable import Proxy
@testable import Store
import Testing
import TestSupport

/// Redaction: credential headers and Secret values never reach the database file, whichever way
/// they travel (created, read, listed, in a Table, watched, patched, applied, gzip'd, cut short,
/// YAML). The proof greps the raw bytes of the file, its WAL and shared memory; the same flow with
/// redaction off finds them, so the grep itself is shown to work.
@Suite struct StoreRedactionTests {
    static let plain = "Hunter2-s3cr3t-\(UInt32.random(in: 100_000...999_999))"
    static var encoded: String { Data(plain.utf8).base64EncodedString() }
    static let token = "eyJhbGciOiJSUzI1NiJ9.c3ViamVjdA.c2lnbmF0dXJl-\(UInt32.random(in: 100_000...999_999))"

    static func secretJSON(name: String, withKind: Bool = true) -> String {
        let kind = withKind ? "\"kind\":\"Secret\",\"apiVersion\":\"v1\"," : ""
        return "{\(kind)\"metadata\":{\"name\":\"\(name)\",\"namespace\":\"demo\"},\"type\":\"Opaque\",\"data\":{\"password\":\"\(encoded)\"}}"
    }

    /// Every way a Secret's value passes through the gateway.
    static func flows() throws -> [[ProxyEvent]] {
        let lastApplied = secretJSON(name: "db").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let created = "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"db\",\"annotations\":"
            + "{\"kubectl.kubernetes.io/last-applied-configuration\":\"\(lastApplied)\"}},"
            + "\"data\":{\"password\":\"\(encoded)\"},\"stringData\":{\"token\":\"\(plain)\"}}"
        let list = "{\"kind\":\"SecretList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":["
            + secretJSON(name: "a", withKind: false) + "," + secretJSON(name: "b", withKind: false) + "]}"
        let mixedList = "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"ConfigMap\",\"data\":{\"k\":\"v\"}},"
            + secretJSON(name: "c") + "]}"
        let table = "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"columnDefinitions\":[{\"name\":\"Name\"}],\"rows\":["
            + "{\"cells\":[\"d\"],\"object\":\(secretJSON(name: "d"))}]}"
        let watch = [
            "{\"type\":\"ADDED\",\"object\":\(secretJSON(name: "e"))}\n",
            "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Secre\\u0074\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"e\"},"
                + "\"stringData\":{\"x\":\"\(plain)\"}}}\n",
            "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Table\",\"rows\":[{\"object\":\(secretJSON(name: "f"))}]}}\n",
        ].joined()
        let json = [("Content-Type", "application/json")]
        var flows: [[ProxyEvent]] = []
        flows.append(TestEvents.exchange(10, method: "POST", uri: "/api/v1/namespaces/demo/secrets?fieldManager=kubectl-client-side-apply",
                                         requestHeaders: json, requestBody: [UInt8](created), status: 201, chunks: [[UInt8](created)]))
        flows.append(TestEvents.exchange(11, uri: "/api/v1/namespaces/demo/secrets/db", chunks: [UInt8](created).chunked([10])))
        flows.append(TestEvents.exchange(12, uri: "/api/v1/namespaces/demo/secrets", chunks: [[UInt8](list)]))
        flows.append(TestEvents.exchange(13, uri: "/api/v1/namespaces/demo/configmaps", chunks: [[UInt8](mixedList)]))
        flows.append(TestEvents.exchange(14, uri: "/api/v1/namespaces/demo/secrets?includeObject=Object", chunks: [[UInt8](table)]))
        flows.append(TestEvents.exchange(15, uri: "/api/v1/namespaces/demo/secrets?watch=true", chunks: [UInt8](watch).chunked([1, 3, 8])))
        flows.append(TestEvents.exchange(16, method: "PATCH", uri: "/api/v1/namespaces/demo/secrets/db",
                                         requestHeaders: [("Content-Type", "application/merge-patch+json")],
                                         requestBody: [UInt8]("{\"data\":{\"password\":\"\(encoded)\"}}"), chunks: [[UInt8](created)]))
        flows.append(TestEvents.exchange(17, method: "PATCH", uri: "/api/v1/namespaces/demo/secrets/db",
                                         requestHeaders: [("Content-Type", "application/json-patch+json")],
                                         requestBody: [UInt8]("[{\"op\":\"replace\",\"path\":\"/data/password\",\"value\":\"\(encoded)\"}]"),
                                         chunks: [[UInt8](created)]))
        flows.append(TestEvents.exchange(18, method: "POST", uri: "/api/v1/namespaces/demo/secrets",
                                         requestHeaders: [("Content-Type", "application/yaml")],
                                         requestBody: [UInt8]("kind: Secret\napiVersion: v1\nstringData:\n  token: \(plain)\n"),
                                         status: 201, chunks: [[UInt8](created)]))
        flows.append(TestEvents.exchange(19, uri: "/api/v1/namespaces/demo/secrets/db",
                                         responseHeaders: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
                                         chunks: try gzipped([UInt8](created)).chunked([7])))
        // A long list cut at the body limit, in the middle of a value.
        let longList = "{\"kind\":\"SecretList\",\"items\":[" + (0..<30).map { _ in secretJSON(name: "g", withKind: false) }
            .joined(separator: ",") + "]}"
        flows.append(TestEvents.exchange(20, uri: "/api/v1/secrets", chunks: [UInt8](longList).chunked([100])))
        // A protobuf answer about Secrets cannot be redacted field by field: it is not kept.
        flows.append(TestEvents.exchange(21, uri: "/api/v1/namespaces/demo/secrets/db",
                                         responseHeaders: [("Content-Type", "application/vnd.kubernetes.protobuf")],
                                         chunks: [[0x6B, 0x38, 0x73, 0x00] + [UInt8](plain) + [UInt8](encoded)]))
        return flows
    }

    func run(_ redaction: RedactionConfiguration, purpose: String) throws -> StoreFixture {
        // The limit cuts the long list (flow 20) in the middle of a base64 value.
        let f = try StoreFixture.make(purpose, recorder: StoreRecorderConfiguration(bodyLimit: 3_000, redaction: redaction))
        try f.record(TestEvents.opened(1))
        for flow in try Self.flows() { try f.record(flow) }
        try f.record(TestEvents.exchange(30, uri: "/api/v1/namespaces/demo/pods",
                                         requestHeaders: [("authorization", "Bearer \(Self.token)"), ("COOKIE", "session=\(Self.token)"),
                                                          ("Proxy-Authorization", "Basic \(Self.token)"),
                                                          ("X-Portcullis-Token", Self.token)],
                                         chunks: [[UInt8]("{}")]))
        try f.writer.sync()
        return f
    }

    @Test func aSecretsValueNeverReachesTheDatabaseFile() throws {
        let f = try run(RedactionConfiguration(tokenHeader: "X-Portcullis-Token"), purpose: "redaction-on")
        defer { f.close() }
        let bytes = f.fileBytes()
        #expect(bytes.count > 4096)
        for (what, needle) in [("the value", Self.plain), ("its base64", Self.encoded), ("the token", Self.token)] {
            let found = bytes.contains(bytes: [UInt8](needle.utf8))
            #expect(!found, "\(what) is in the database file")
        }
        // Keys stay; values are replaced.
        let created = try f.rows("SELECT body FROM requests WHERE id = 10")[0]
        let object = try JSONParser.parse([UInt8](created["body"] as Data))
        #expect(object[path: "data", "password"] == "[redacted]" && object[path: "stringData", "token"] == "[redacted]")
        let annotation = try #require(object[path: "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]?.stringValue)
        #expect(try JSONParser.parse(annotation)[path: "data", "password"] == "[redacted]")
        let list = try JSONParser.parse([UInt8](try f.rows("SELECT body FROM responses WHERE request_id = 12")[0]["body"] as Data))
        #expect(list["items"]?.arrayValue?.map { $0[path: "data", "password"] } == ["[redacted]", "[redacted]"])
        #expect(list["items"]?.arrayValue?.map { $0[path: "metadata", "name"] } == ["a", "b"])
        let mixed = try JSONParser.parse([UInt8](try f.rows("SELECT body FROM responses WHERE request_id = 13")[0]["body"] as Data))
        #expect(mixed["items"]?.arrayValue?.first?[path: "data", "k"] == "v", "a ConfigMap's data is not a Secret's")
        let events = try f.rows("SELECT data FROM stream_events WHERE request_id = 15 ORDER BY seq").map {
            try JSONParser.parse([UInt8]($0["data"] as Data))
        }
        #expect(events.count == 3)
        #expect(events[0][path: "object", "data", "password"] == "[redacted]")
        #expect(events[1][path: "object", "stringData", "x"] == "[redacted]")
        let cut = try f.rows("SELECT body, body_truncated FROM responses WHERE request_id = 20")[0]
        #expect(cut.int("body_truncated") == 1)
        let headers = try f.rows("SELECT headers FROM requests WHERE id = 30")[0]["headers"] as String
        #expect(headers == "[[\"authorization\",\"[redacted]\"],[\"COOKIE\",\"[redacted]\"],[\"Proxy-Authorization\",\"[redacted]\"],"
                + "[\"X-Portcullis-Token\",\"[redacted]\"]]")
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    /// Shows the grep above can fail: with redaction off, the same flows leave the value in the file.
    @Test func withRedactionOffTheSameFlowsLeaveTheValueInTheFile() throws {
        let f = try run(.none, purpose: "redaction-off")
        defer { f.close() }
        let bytes = f.fileBytes()
        let found = [Self.plain, Self.encoded, Self.token].map { bytes.contains(bytes: [UInt8]($0.utf8)) }
        #expect(found == [true, true, true])
    }

    @Test func bodiesWithoutSecretsKeepTheirExactBytes() {
        let redactor = BodyRedactor(RedactionConfiguration())
        let pretty = [UInt8]("{\n  \"kind\": \"ConfigMap\",\n  \"data\": {\"b\": \"2\", \"a\": \"1\"}\n}\n")
        #expect(redactor.redact(pretty, contentType: "application/json", aboutSecrets: false).body == pretty)
        let mentions = [UInt8]("{\"kind\":\"ConfigMap\",\"data\":{\"note\":\"not a Secret\"}}")
        #expect(redactor.redact(mentions, contentType: "application/json", aboutSecrets: false).body == mentions)
        let log = [UInt8]("{\"kind\":\"Secret\",\"data\":{\"a\":\"b\"}} is what I printed\n")
        #expect(redactor.redact(log, contentType: "text/plain", aboutSecrets: false).body == log, "non-JSON passes unchanged")
        let redacted = redactor.redact([UInt8](StoreRedactionTests.secretJSON(name: "x")), contentType: nil, aboutSecrets: false)
        #expect(String(decoding: redacted.body, as: UTF8.self)
                == "{\"apiVersion\":\"v1\",\"data\":{\"password\":\"[redacted]\"},\"kind\":\"Secret\","
                + "\"metadata\":{\"name\":\"x\",\"namespace\":\"demo\"},\"type\":\"Opaque\"}")
        let off = BodyRedactor(.none)
        #expect(off.redact([UInt8](StoreRedactionTests.secretJSON(name: "x")), contentType: nil, aboutSecrets: true).body
                == [UInt8](StoreRedactionTests.secretJSON(name: "x")))
    }

    @Test func anEscapedKindIsStillASecret() {
        let redactor = BodyRedactor(RedactionConfiguration())
        let escaped = [UInt8]("{\"kind\":\"\\u0053ecret\",\"data\":{\"k\":\"djE=\"},\"note\":\"\\u003cb\\u003e\"}")
        let out = redactor.redact(escaped, contentType: "application/json", aboutSecrets: false)
        #expect(!out.body.contains(bytes: [UInt8]("djE=")))
        // Go's own escapes (<, >, &) are not letters: such a body is left as it is, unparsed.
        let goEscaped = [UInt8]("{\"kind\":\"ConfigMap\",\"data\":{\"k\":\"\\u003cb\\u003e \\u0026\"}}")
        #expect(!BodyRedactor.mayMentionSecret(goEscaped) && BodyRedactor.mayMentionSecret(escaped))
    }

    @Test func headersAreRedactedWhateverTheirCase() {
        let redactor = HeaderRedactor(RedactionConfiguration(tokenHeader: "X-Agent-Token"))
        let out = redactor.redact([("AUTHORIZATION", "Bearer a"), ("x-agent-token", "b"), ("Set-Cookie", "c"), ("Accept", "d")])
        #expect(out.map(\.value) == ["[redacted]", "[redacted]", "[redacted]", "d"])
        #expect(out.map(\.name) == ["AUTHORIZATION", "x-agent-token", "Set-Cookie", "Accept"])
    }

    /// Found by the json-redactor fuzzer (the redactor property): a Secret whose `kind` comes after
    /// its data, cut at the recording limit inside the kind (`"kind":"S`), was stored as it was.
    /// A cut body is now parsed whatever it mentions, and an object with data whose kind may have
    /// been cut is a Secret.
    @Test func aBodyCutInsideOrBeforeItsKindKeepsNoValue() {
        let redactor = BodyRedactor(RedactionConfiguration())
        let bodies = [
            #"{"apiVersion":"v1","metadata":{"name":"db"},"data":{"password0":"VAL2Z"},"kind":"S"#,
            #"{"apiVersion":"v1","metadata":{"name":"db"},"stringData":{"t":"VAL2Z"},"kind":""#,
            #"{"data":{"password0":"VAL2Z"},"ki"#,
            #"{"items":[{"data":{"a":"VAL2Z"}},{"data":{"b":"VAL2Z"}}],"kind":"SecretLi"#,
            #"{"kind":"List","items":[{"data":{"a":"VAL2Z"}"#,
            // Found next: cut inside the last-applied copy, before the object's own kind and data.
            #"{"apiVersion":"v1","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\u0022apiVersion\u0022:\u0022v1\u0022,\u0022data\u0022:{\u0022password0\u0022:\u0022VAL2Z\u0022},\u0022kind\u"#,
            #"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\",\"data\":{\"p\":\"VAL2Z\"}}"}},"da"#,
        ]
        for body in bodies {
            let out = redactor.redact([UInt8](body), contentType: "application/json", aboutSecrets: false, wasCut: true)
            #expect(!out.body.contains(bytes: [UInt8]("VAL2Z")), "\(body) -> \(String(decoding: out.body, as: UTF8.self))")
        }
        // What a cut body says it is still counts: a ConfigMapList's items and a ConfigMap keep their data.
        let configMaps = #"{"kind":"ConfigMapList","items":[{"metadata":{"name":"a"},"data":{"mode":"fast"}},{"data":{"le"#
        #expect(redactor.redact([UInt8](configMaps), contentType: "application/json", aboutSecrets: false, wasCut: true).body
                == [UInt8](configMaps))
        let configMap = #"{"data":{"mode":"fast"},"kind":"ConfigMap","metadata":{"na"#
        #expect(redactor.redact([UInt8](configMap), contentType: "application/json", aboutSecrets: false, wasCut: true).body
                == [UInt8](configMap))
    }

    /// Found by the redactor property: a SecretList sent to `secrets` (the top level treated as a
    /// Secret) had its items walked as plain objects, so their values stayed.
    @Test func aSecretListTreatedAsTheSecretKeepsNoItemValue() {
        let redactor = BodyRedactor(RedactionConfiguration())
        let list = #"{"items":[{"data":{"password0":"VAL0Z"},"metadata":{"name":"db"}}],"kind":"SecretList"}"#
        let out = redactor.redact([UInt8](list), contentType: "application/json", aboutSecrets: true, topLevelIsSecret: true)
        #expect(!out.body.contains(bytes: [UInt8]("VAL0Z")), "\(String(decoding: out.body, as: UTF8.self))")
    }
}
