import Foundation
import GRDB
import Kube
import NIOCore
@testable import Proxy
@testable import Store
import Testing
import TestSupport

/// Protobuf bodies (what kubectl 1.32 and 1.33 send for `create secret generic`): the Secret is
/// stored re-encoded with its values redacted and its metadata kept; `show` and `export` render it
/// as JSON. The value is the one in kubectl's captured body (`hunter2-s3cr3t`).
@Suite struct StoreProtobufRedactionTests {
    static let plain = "hunter2-s3cr3t"
    static let protobuf = [("Content-Type", ProtobufEnvelope.mediaType)]

    static func frame(_ event: ProtobufWatchEvent) -> [UInt8] {
        let bytes = event.encoded()
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    func run(_ redaction: RedactionConfiguration, purpose: String) throws -> StoreFixture {
        let f = try StoreFixture.make(purpose, recorder: StoreRecorderConfiguration(bodyLimit: 3_000, redaction: redaction))
        let secret = KubectlProtobufBodies.createSecret
        try f.record(TestEvents.opened(1))
        try f.record(TestEvents.exchange(10, method: "POST", uri: "/api/v1/namespaces/demo/secrets?fieldManager=kubectl-create",
                                         requestHeaders: Self.protobuf, requestBody: secret, status: 201,
                                         responseHeaders: Self.protobuf, chunks: secret.chunked([5, 40])))
        // A protobuf watch of Secrets: one event per frame, frames split anywhere.
        let watch = Self.frame(ProtobufWatchEvent(type: "ADDED", object: secret))
            + Self.frame(ProtobufWatchEvent(type: "MODIFIED", object: secret))
        try f.record(TestEvents.exchange(11, uri: "/api/v1/namespaces/demo/secrets?watch=true",
                                         responseHeaders: [("Content-Type", ProtobufEnvelope.mediaType + ";stream=watch")],
                                         chunks: watch.chunked([3, 17])))
        // A Secret at a URL that is not about Secrets (a List could carry one), and one cut short.
        try f.record(TestEvents.exchange(12, uri: "/api/v1/namespaces/demo/configmaps", responseHeaders: Self.protobuf,
                                         chunks: [secret]))
        try f.record(TestEvents.exchange(13, method: "POST", uri: "/api/v1/namespaces/demo/secrets",
                                         requestHeaders: Self.protobuf, requestBody: Array(secret.dropLast(3)), status: 400,
                                         chunks: [[UInt8]("{}")]))
        try f.record(TestEvents.exchange(14, method: "POST", uri: "/api/v1/namespaces/demo/configmaps",
                                         requestHeaders: Self.protobuf, requestBody: KubectlProtobufBodies.createConfigMap,
                                         status: 201, chunks: [[UInt8]("{}")]))
        try f.writer.sync()
        return f
    }

    @Test func theValueNeverReachesTheDatabaseFileAndTheNameStays() throws {
        let f = try run(RedactionConfiguration(), purpose: "protobuf-on")
        defer { f.close() }
        let bytes = f.fileBytes()
        for needle in [Self.plain, Data(Self.plain.utf8).base64EncodedString()] {
            #expect(!bytes.contains(bytes: [UInt8](needle.utf8)), "\(needle) is in the database file")
        }
        let request = [UInt8](try f.rows("SELECT body FROM requests WHERE id = 10")[0]["body"] as Data)
        #expect(ProtobufEnvelope.hasMagic(request), "the record keeps the protobuf form")
        let json = try #require(KubeBody.json(request))
        #expect(json[path: "metadata", "name"] == "db-pass")
        #expect(json[path: "metadata", "namespace"] == "demo")
        #expect(json[path: "data", "password"] == "[redacted]")
        let response = [UInt8](try f.rows("SELECT body FROM responses WHERE request_id = 10")[0]["body"] as Data)
        #expect(KubeBody.json(response)?[path: "data", "password"] == "[redacted]")
        let events = try f.rows("SELECT data FROM stream_events WHERE request_id = 11 ORDER BY seq").map { [UInt8]($0["data"] as Data) }
        #expect(events.count == 2)
        let decoded = try events.map { try ProtobufWatchEvent(decoding: Array($0.dropFirst(4))).json() }
        #expect(decoded.map { $0["type"] } == ["ADDED", "MODIFIED"])
        #expect(decoded.map { $0[path: "object", "data", "password"] } == ["[redacted]", "[redacted]"])
        let elsewhere = [UInt8](try f.rows("SELECT body FROM responses WHERE request_id = 12")[0]["body"] as Data)
        #expect(KubeBody.json(elsewhere)?[path: "metadata", "name"] == "db-pass")
        let cut = String(decoding: try f.rows("SELECT body FROM requests WHERE id = 13")[0]["body"] as Data, as: UTF8.self)
        #expect(cut == "[redacted: 80 bytes of protobuf that could not be read, about Secrets]")
        let configMap = [UInt8](try f.rows("SELECT body FROM requests WHERE id = 14")[0]["body"] as Data)
        #expect(configMap == KubectlProtobufBodies.createConfigMap, "other kinds keep their exact bytes")
        #expect(try StoreVerifier.verify(f.database).isIntact)
    }

    /// Shows the grep above can fail.
    @Test func withRedactionOffTheValueIsInTheFile() throws {
        let f = try run(.none, purpose: "protobuf-off")
        defer { f.close() }
        #expect(f.fileBytes().contains(bytes: [UInt8](Self.plain.utf8)))
    }

    @Test func exportAndShowRenderProtobufBodiesAsJSON() throws {
        let f = try run(RedactionConfiguration(), purpose: "protobuf-read")
        defer { f.close() }
        let requests = try StoreReader(f.database).requests(bodies: true)
        let create = try #require(requests.first { $0.id == 10 })
        let exporter = AuditExporter(level: .request)
        let event = try #require(exporter.events(for: create).last)
        #expect(event.requestObject?[path: "metadata", "name"] == "db-pass")
        #expect(event.requestObject?[path: "data", "password"] == "[redacted]")
        #expect(event.objectRef?.name == "db-pass")
        let configMap = try #require(requests.first { $0.id == 14 })
        #expect(exporter.events(for: configMap).last?.requestObject?[path: "data", "mode"] == "fast")
        let lines = TimelineText.bodyLines("request body", configMap.body, truncated: false)
        #expect(lines.first == "request body (83 B, protobuf ConfigMap (v1), rendered as JSON):")
        #expect(lines.last?.contains(#""data":{"level":"3","mode":"fast"}"#) == true)
    }
}
