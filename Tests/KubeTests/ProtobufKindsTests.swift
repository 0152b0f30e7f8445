import Foundation
import SwiftProtobuf
import Testing

@testable import Kube

/// The kinds kubectl's captured bodies do not cover: a Pod, a SecretList, a Status, a watch event
/// of Secrets; built with the generated messages, read back as Go writes them in JSON.
@Suite struct ProtobufKindsTests {
    func envelope(_ apiVersion: String, _ kind: String, _ message: some SwiftProtobuf.Message) -> [UInt8] {
        ProtobufEnvelope(apiVersion: apiVersion, kind: kind, raw: Array(ProtobufSecrets.serialized(message))).encoded()
    }

    @Test func aPodRendersItsContainers() throws {
        var pod = CoreV1Pod()
        pod.metadata.name = "web-1"
        pod.metadata.creationTimestamp.seconds = 1_767_225_600
        var container = CoreV1Container()
        container.name = "main"
        container.image = "nginx"
        container.command = ["sleep", "10"]
        var port = CoreV1ContainerPort()
        port.containerPort = 80
        container.ports = [port]
        var cpu = ResourceQuantity()
        cpu.string = "100m"
        container.resources.limits = ["cpu": cpu]
        pod.spec.containers = [container]
        pod.spec.restartPolicy = "Never"
        let json = try ProtobufObject.json(decoding: envelope("v1", "Pod", pod))
        #expect(json[path: "metadata", "creationTimestamp"] == "2026-01-01T00:00:00Z")
        #expect(json[path: "spec", "restartPolicy"] == "Never")
        let rendered = try #require(json[path: "spec", "containers"]?.arrayValue?.first)
        #expect(rendered == ["name": "main", "image": "nginx", "command": ["sleep", "10"], "ports": [["containerPort": 80]],
                             "resources": ["limits": ["cpu": "100m"]]])
    }

    @Test func aSecretListIsRedactedItemByItem() throws {
        var list = CoreV1SecretList()
        for name in ["a", "b"] {
            var secret = CoreV1Secret()
            secret.metadata.name = name
            secret.data = ["password": Data("value-of-\(name)".utf8)]
            secret.stringData = ["token": "token-of-\(name)"]
            list.items.append(secret)
        }
        let body = envelope("v1", "SecretList", list)
        let redacted = try #require(try ProtobufSecrets.redacted(try ProtobufEnvelope(decoding: body)) { _ in "" })
        let json = try ProtobufObject.json(redacted)
        #expect(json["items"]?.arrayValue?.map { $0[path: "metadata", "name"] } == ["a", "b"])
        #expect(json["items"]?.arrayValue?.map { $0[path: "data", "password"] } == ["[redacted]", "[redacted]"])
        #expect(json["items"]?.arrayValue?.map { $0[path: "stringData", "token"] } == ["[redacted]", "[redacted]"])
    }

    @Test func aStatusRendersAsKubeApiserverWritesIt() throws {
        var status = MetaV1Status()
        status.status = "Failure"
        status.message = #"secrets "x" not found"#
        status.reason = "NotFound"
        status.code = 404
        status.details.name = "x"
        status.details.kind = "secrets"
        let json = try ProtobufObject.json(decoding: envelope("v1", "Status", status))
        let decoded = try Status(json: json)
        #expect(decoded.code == 404 && decoded.reason == "NotFound" && decoded.details?.name == "x")
    }
}
