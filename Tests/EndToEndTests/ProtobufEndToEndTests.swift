import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// kubectl 1.32 and 1.33 send `create secret`, `create configmap`, `create namespace` and
    /// `create deployment` bodies as protobuf: the sandbox serves them, and through the gateway the
    /// record keeps a Secret's name but never its value, and renders the bodies as JSON.
    @Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
    struct ProtobufEndToEndTests {
        typealias Gateway = GatewayEndToEndTests

        @Test("kubectl's protobuf creates work against the sandbox directly", arguments: [32, 33])
        func againstTheSandbox(minor: Int) async throws {
            try await SandboxTestbed.with(kubectlBinary: Kubectl.binary(minor: minor)) { bed in
                let kubectl = bed.kubectl
                try await Gateway.succeed(kubectl, ["create", "namespace", "pb-demo"])
                try await Gateway.succeed(kubectl, ["create", "secret", "generic", "db-pass", "--from-literal=password=s3cr3t", "-n", "pb-demo"])
                try await Gateway.succeed(kubectl, ["create", "configmap", "settings", "--from-literal=mode=fast", "-n", "pb-demo"])
                try await Gateway.succeed(kubectl, ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", "pb-demo"])
                let secret = try await Gateway.succeed(kubectl, ["get", "secret", "db-pass", "-n", "pb-demo", "-o", "jsonpath={.data.password}"])
                #expect(secret.standardOutput == Data("s3cr3t".utf8).base64EncodedString())
                let configMap = try await Gateway.succeed(kubectl, ["get", "configmap", "settings", "-n", "pb-demo", "-o", "jsonpath={.data.mode}"])
                #expect(configMap.standardOutput == "fast")
                let deployment = try await Gateway.succeed(kubectl, ["get", "deployment", "web", "-n", "pb-demo", "-o",
                                                                     "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"])
                #expect(deployment.standardOutput == "2 nginx:1.27")
                let audit = try bed.cluster.auditLog.events().filter { $0.verb == "create" && $0.stage == .responseComplete }
                #expect(audit.map { $0.responseStatus?.code ?? 0 } == [201, 201, 201, 201], "\(audit.map(AuditLog.summary))")
            }
        }

        @Test("create secret generic --from-literal through the gateway: the database file never holds the value; export names the Secret with [redacted] values; a ConfigMap's data shows as JSON",
              arguments: [32, 33])
        func throughTheGateway(minor: Int) async throws {
            try await GatewayTestbed.with { bed in
                let kubectl = try bed.kubectl(minor: minor)
                defer { kubectl.remove() }
                let value = "hunter2-\(UUID().uuidString)"
                let encoded = Data(value.utf8).base64EncodedString()
                try await Gateway.succeed(kubectl, ["create", "secret", "generic", "db-pass", "--from-literal=password=\(value)"])
                try await Gateway.succeed(kubectl, ["create", "configmap", "settings", "--from-literal=mode=fast"])
                let read = try await Gateway.succeed(kubectl, ["get", "secret", "db-pass", "-o", "jsonpath={.data.password}"])
                #expect(read.standardOutput == encoded, "the cluster holds the value kubectl sent")

                let events = try StoreEndToEndTests.export(bed, level: "Request").filter { $0.stage == .responseComplete && $0.verb == "create" }
                let secret = try #require(events.first { $0.objectRef?.resource == "secrets" }, "\(events.map(AuditLog.summary))")
                #expect(secret.objectRef?.name == "db-pass")
                #expect(secret.requestObject?[path: "metadata", "name"] == "db-pass")
                #expect(secret.requestObject?[path: "kind"] == "Secret")
                #expect(secret.requestObject?[path: "data", "password"] == "[redacted]")
                let configMap = try #require(events.first { $0.objectRef?.resource == "configmaps" })
                #expect(configMap.requestObject?[path: "data", "mode"] == "fast")

                let request = configMap.annotations["portcullis.io/request"] ?? ""
                let shown = try bed.portcullis(["show", request, "--bodies"])
                #expect(shown.standardOutput.contains("protobuf ConfigMap (v1), rendered as JSON"), "\(shown)")
                #expect(shown.standardOutput.contains(#""data":{"mode":"fast"}"#), "\(shown)")

                let directory = (bed.storePath as NSString).deletingLastPathComponent
                let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("recording.sqlite") }
                #expect(files.contains("recording.sqlite") && files.contains("recording.sqlite-wal"), "\(files)")
                for file in files {
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
                    for needle in [value, encoded] {
                        #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(file) holds the Secret's value: \(needle.prefix(12))…")
                    }
                }
            }
        }
    }
}
