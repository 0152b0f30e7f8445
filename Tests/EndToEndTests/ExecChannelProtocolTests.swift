import Foundation
import Kube
import Testing
import TestSupport

extension EndToEnd {
    /// Exec over WebSocket with an independent client (Python's websocket-client), for what kubectl 1.32
    /// does not exercise: the v4 protocol other clients speak, stdin without a close message, resize,
    /// ping, and refused subprotocols. The sandbox listens on loopback, so no root is needed.
    @Suite(.serialized, .enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
    struct ExecChannelProtocolTests {
        struct ClientResult: Decodable {
            var stdout: String
            var stderr: String
            var status: [String: AnyJSON]?
            var pong: String?
            var `protocol`: String?
            var close: Int?
            var handshake_status: Int?
            var handshake_body: String?
        }

        /// Any JSON value, kept as text; enough to read Status fields.
        struct AnyJSON: Decodable {
            var text: String
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let s = try? container.decode(String.self) { text = s } else { text = "" }
            }
        }

        static func withSandboxAndPod<T>(_ body: (SandboxCluster) async throws -> T) async throws -> T {
            let cluster = try await SandboxCluster.start(in: nil, listen: "127.0.0.1:0")
            do {
                let kubectl = try Kubectl(kubeconfig: cluster.kubeconfigPath, namespace: nil)
                defer { kubectl.remove() }
                let created = try await kubectl.run(["create", "-f", "-"], stdin: Manifests.demo())
                #expect(created.exitCode == 0, "\(created)")
                let value = try await body(cluster)
                await cluster.stop()
                return value
            } catch {
                await cluster.stop()
                throw error
            }
        }

        static func exec(_ cluster: SandboxCluster, _ query: String, protocol proto: String = ChannelProtocol.v4.rawValue,
                         extra: [String] = []) async throws -> ClientResult {
            let arguments = [try PythonTools.clientScript("exec_websocket.py"), "--server", cluster.serverURL,
                             "--ca", cluster.caCertificatePath, "--token-file", cluster.tokenFilePath,
                             "--path", "/api/v1/namespaces/demo/pods/web-1/exec?" + query, "--protocol", proto] + extra
            let client = try ChildProcess.launch(try PythonTools.python(), arguments)
            let status = try await client.waitForExit(timeout: .seconds(30))
            #expect(status == .exited(0), "\(client.report)")
            return try JSONDecoder().decode(ClientResult.self, from: Data(client.standardOutput.utf8))
        }

        @Test("v4: stdout, stderr and the exit code arrive on channels 1, 2 and 3, then a normal close")
        func v4OutputAndExitCode() async throws {
            try await Self.withSandboxAndPod { cluster in
                let r = try await Self.exec(cluster, "command=sh&command=-c&command=echo+out+%26%26+nosuch&stdout=true&stderr=true")
                #expect(r.protocol == "v4.channel.k8s.io")
                #expect(r.stdout == "out\n")
                #expect(r.stderr == "sh: 1: nosuch: not found\n")
                #expect(r.status?["reason"]?.text == "NonZeroExitCode")
                #expect(r.close == 1000)
            }
        }

        @Test("v4: stdin reaches an interactive shell; resize and ping are answered")
        func v4StdinResizeAndPing() async throws {
            try await Self.withSandboxAndPod { cluster in
                let r = try await Self.exec(cluster, "command=sh&stdin=true&stdout=true&stderr=true",
                                            extra: ["--stdin", "echo typed\nexit 4\n", "--resize", "80x24", "--ping"])
                #expect(r.stdout == "typed\n")
                #expect(r.status?["message"]?.text.hasSuffix("exit code 4") == true)
                #expect(r.pong == "are-you-there")
            }
        }

        @Test("v5 with a tty: output lines end in CRLF, as through a pty")
        func v5WithTTY() async throws {
            try await Self.withSandboxAndPod { cluster in
                let r = try await Self.exec(cluster, "command=hostname&stdout=true&tty=true", protocol: ChannelProtocol.v5.rawValue)
                #expect(r.protocol == "v5.channel.k8s.io")
                #expect(r.stdout == "web-1\r\n")
                #expect(r.status?["status"]?.text == "Success")
            }
        }

        @Test("an unsupported subprotocol is refused with a 400 Status naming the supported ones")
        func unsupportedSubprotocol() async throws {
            try await Self.withSandboxAndPod { cluster in
                let r = try await Self.exec(cluster, "command=ls&stdout=true", protocol: "base64.channel.k8s.io")
                #expect(r.handshake_status == 400)
                let body = try #require(r.handshake_body)
                let status = try Status(json: try JSONParser.parse(body))
                #expect(status.message == "unsupported WebSocket subprotocol: offer v5.channel.k8s.io or v4.channel.k8s.io")
            }
        }
    }
}
