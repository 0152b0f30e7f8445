import Foundation
import Kube
import Testing
import TestSupport

@Suite struct ProtobufBodyTests {
    @Test func kubectlsSecretDecodesAsGoWouldWriteItInJSON() throws {
        let json = try ProtobufObject.json(decoding: KubectlProtobufBodies.createSecret)
        #expect(json["apiVersion"] == "v1")
        #expect(json["kind"] == "Secret")
        #expect(json[path: "metadata", "name"] == "db-pass")
        #expect(json[path: "metadata", "namespace"] == "demo")
        #expect(json[path: "data", "password"]?.stringValue == Data("hunter2-s3cr3t".utf8).base64EncodedString())
        // Go's empty strings and zero numbers are not rendered (omitempty).
        #expect(json[path: "metadata", "uid"] == nil)
        #expect(json[path: "metadata", "generation"] == nil)
        #expect(json[path: "metadata", "creationTimestamp"] == nil)
    }

    @Test func kubectlsConfigMapNamespaceAndDeploymentDecode() throws {
        let configMap = try ProtobufObject.json(decoding: KubectlProtobufBodies.createConfigMap)
        #expect(configMap[path: "data", "mode"] == "fast")
        #expect(configMap[path: "data", "level"] == "3")
        let namespace = try ProtobufObject.json(decoding: KubectlProtobufBodies.createNamespace)
        #expect(namespace["kind"] == "Namespace")
        #expect(namespace[path: "metadata", "name"] == "team-a")
        let deployment = try ProtobufObject.json(decoding: KubectlProtobufBodies.createDeployment)
        #expect(deployment["apiVersion"] == "apps/v1")
        #expect(deployment[path: "spec", "replicas"] == .int(2))
        #expect(deployment[path: "spec", "selector", "matchLabels", "app"] == "web")
        #expect(deployment[path: "spec", "template", "metadata", "labels", "app"] == "web")
        let container = deployment[path: "spec", "template", "spec", "containers"]?.arrayValue?.first
        #expect(container?["name"] == "nginx")
        #expect(container?["image"] == "nginx:1.27")
    }

    @Test func theEnvelopeRoundTripsByteForByte() throws {
        for body in [KubectlProtobufBodies.createSecret, KubectlProtobufBodies.createConfigMap,
                     KubectlProtobufBodies.createNamespace, KubectlProtobufBodies.createDeployment] {
            let envelope = try ProtobufEnvelope(decoding: body)
            #expect(envelope.encoded() == body)
        }
    }

    @Test func errorsNameWhatWasWrong() {
        #expect(throws: ProtobufBodyError.noMagic(byteCount: 2)) { try ProtobufEnvelope(decoding: [0x7B, 0x7D]) }
        let lease = ProtobufEnvelope(apiVersion: "coordination.k8s.io/v1", kind: "Lease", raw: [])
        #expect(throws: ProtobufBodyError.unknownKind(apiVersion: "coordination.k8s.io/v1", kind: "Lease")) {
            try ProtobufObject.json(lease)
        }
        let cut = Array(KubectlProtobufBodies.createSecret.dropLast(10))
        #expect(throws: (any Error).self) { try ProtobufObject.json(decoding: cut) }
        // A Secret whose raw bytes are not a Secret message.
        let broken = ProtobufEnvelope(apiVersion: "v1", kind: "Secret", raw: [0x0A, 0x05, 0x01])
        #expect(throws: (any Error).self) { try ProtobufObject.json(broken) }
    }

    @Test func aRedactedSecretKeepsItsMetadataAndNoValue() throws {
        let envelope = try ProtobufEnvelope(decoding: KubectlProtobufBodies.createSecret)
        let redacted = try #require(try ProtobufSecrets.redacted(envelope) { _ in "[annotation redacted]" })
        let bytes = redacted.encoded()
        #expect(!contains(bytes, Array("hunter2-s3cr3t".utf8)))
        let json = try ProtobufObject.json(decoding: bytes)
        #expect(json[path: "metadata", "name"] == "db-pass")
        #expect(json[path: "data", "password"] == "[redacted]")
        #expect(try ProtobufSecrets.redacted(try ProtobufEnvelope(decoding: KubectlProtobufBodies.createConfigMap)) { $0 } == nil)
    }

    @Test func aWatchEventCarriesAnEnvelopedObject() throws {
        let event = ProtobufWatchEvent(type: "ADDED", object: KubectlProtobufBodies.createConfigMap)
        let decoded = try ProtobufWatchEvent(decoding: event.encoded())
        #expect(decoded == event)
        #expect(try decoded.json()[path: "object", "metadata", "name"] == "settings")
        #expect(KubeBody.json(KubectlProtobufBodies.createNamespace)?[path: "metadata", "name"] == "team-a")
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<$0 + needle.count]) == needle }
    }
}
