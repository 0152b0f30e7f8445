import Foundation
import Intercept
import Kube
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TestSupport

@testable import Proxy

/// A gateway and a relay of the Proxy module on loopback, without namespaces: curl speaks plain
/// HTTP to a gateway-side ``ProxyRequestHandler`` whose cluster is behind a relay; the relay
/// (``RelayListener``, mutual TLS with a certificate the test's relay CA issued) forwards to the
/// sandbox with the sandbox's admin token. Each side has its own recorder; the sandbox's audit log
/// is the cluster's view.
@Suite(.serialized)
struct RelayForwardingTests {
    /// Accepts "good-token" as alice (on either side), refuses everything else.
    typealias FakeAuthenticator = ProxyForwardingTests.FakeAuthenticator

    struct Rig {
        var sandbox: SandboxCluster
        var gatewayURL: String
        var gatewayRecorder: InMemoryProxyRecorder
        var relayRecorder: InMemoryProxyRecorder
        var relay: RelayListener
        var relayAddress: String
        var roster: GatewayRoster
        var enrolment: GatewayEnrolment
        var files: TemporaryDirectory
        var adminToken: String

        /// The relay's recorded requests, in order.
        var relayRequests: [RequestRecord] {
            relayRecorder.events.compactMap { if case .requestReceived(let r) = $0 { r } else { nil } }
        }

        var relayRejections: [(status: Int, reason: String)] {
            relayRecorder.events.compactMap { if case .requestRejected(_, _, let status, let reason) = $0 { (status.code, reason) } else { nil } }
        }

        /// relay_client.py against the relay with the gateway's certificate (a lying gateway, or
        /// root on its host): one JSON answer per request.
        func direct(_ method: String, _ path: String, cluster: String? = "sandbox", headers: [String] = [], certificate: Bool = true,
                    repeat count: Int = 1, interval: Double = 0) async throws -> [JSONValue] {
            var arguments = [try PythonTools.clientScript("relay_client.py"), "--address", relayAddress, "--ca", files.path("ca.crt"),
                             "--server-name", "127.0.0.1", "--repeat", String(count), "--interval", String(interval), "--timeout", "5"]
            if certificate { arguments += ["--cert", files.path("gateway.crt"), "--key", files.path("gateway.key")] }
            if let cluster { arguments += ["--cluster", cluster] }
            for header in headers { arguments += ["--header", header] }
            let client = try ChildProcess.launch("/usr/bin/python3", arguments + [method, path])
            _ = try await client.waitForExit(timeout: .seconds(60))
            return try client.standardOutput.split(separator: "\n").map { try JSONParser.parse(String($0)) }
        }
    }

    static func withRig<T>(_ body: (Rig) async throws -> T) async throws -> T {
        let sandbox = try await SandboxCluster.start(in: nil, listen: "127.0.0.1:0", logIntervalMilliseconds: 100)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let files = try TemporaryDirectory.create(purpose: "relay")
        var relay: RelayListener?
        do {
            let tokens = try String(contentsOfFile: sandbox.tokenFilePath, encoding: .utf8)
            let admin = try #require(tokens.split(separator: "\n").first { $0.contains(",admin,") }?.split(separator: ",").first.map(String.init))
            let port = try #require(UInt16(sandbox.serverURL.split(separator: ":").last ?? ""))
            let apiServer = SocketEndpoint(.v4(127, 0, 0, 1), port: port)

            // The relay: its CA, a gateway certificate from it, the sandbox as its cluster.
            let authority = try GatewayCertificateAuthority.generate(hostname: "relay")
            let issued = try GatewayCertificateIssuer.issue(name: "runner-a", authority: authority)
            _ = try files.write(try authority.certificatePEM(), to: "ca.crt")
            _ = try files.write(issued.certificatePEM, to: "gateway.crt")
            _ = try files.write(issued.keyPEM, to: "gateway.key")
            let caRoots = try NIOSSLCertificate.fromPEMBytes(Array(try authority.certificatePEM().utf8))
            let direct = ClusterUpstream(name: "sandbox", endpoints: [apiServer], serverNames: [],
                                         trustRoots: try NIOSSLCertificate.fromPEMFile(sandbox.caCertificatePath),
                                         credential: .bearerToken(admin))
            let relayRecorder = InMemoryProxyRecorder()
            let relayServices = try ProxyServices(
                configuration: ProxyConfiguration(port: 1, listenAddresses: [.v4(127, 0, 0, 1)], clusters: [direct],
                                                  upstreamConnectTimeout: .seconds(2)),
                authenticator: FakeAuthenticator(), servingContexts: ProxyForwardingTests.NoTLS(), recorder: relayRecorder,
                policy: AccessPolicy(Policy(defaultEffect: .allow)), attribution: nil, logger: .init(label: "relay"))
            let roster = GatewayRoster(GatewayRegistry(gateways: [issued.enrolment]))
            let serving = try ServingCertificateStore(authority: authority, configuration: ServingCertificateConfiguration(
                clientCertificateRoots: caRoots, applicationProtocols: [RelayProtocol.name(cluster: "sandbox")]))
            let listener = RelayListener(services: relayServices, relay: RelayServices(roster: roster, servingContexts: serving,
                                                                                        serverNames: ["127.0.0.1"]), group: group)
            relay = listener
            try await listener.start(listen: [SocketEndpoint(.v4(127, 0, 0, 1), port: 0)])
            let relayPort = UInt16(try #require(listener.boundAddresses.first?.port))

            // The gateway: the same cluster, behind the relay; no credential of its own.
            let behind = ClusterUpstream(
                name: "sandbox", endpoints: [apiServer], serverNames: [], trustRoots: caRoots,
                credential: .clientCertificate(chain: try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)),
                                               key: try NIOSSLPrivateKey(bytes: Array(issued.keyPEM.utf8), format: .pem)),
                relay: RelayRoute(address: "127.0.0.1:\(relayPort)", endpoint: SocketEndpoint(.v4(127, 0, 0, 1), port: relayPort),
                                  serverName: "127.0.0.1", cluster: "sandbox"))
            let gatewayRecorder = InMemoryProxyRecorder()
            let gatewayServices = try ProxyServices(
                configuration: ProxyConfiguration(port: 15443, listenAddresses: [.v4(127, 0, 0, 1)], clusters: [behind],
                                                  upstreamConnectTimeout: .seconds(2)),
                authenticator: FakeAuthenticator(), servingContexts: ProxyForwardingTests.NoTLS(), recorder: gatewayRecorder,
                policy: AccessPolicy(Policy(defaultEffect: .allow)), attribution: nil, logger: .init(label: "gateway"))
            let connection = ConnectionContext(id: ConnectionID(7), cluster: behind, destination: apiServer,
                                               peer: SocketEndpoint(.v4(127, 0, 0, 1), port: 40_000),
                                               caller: Caller(uid: 1000, gid: 1000, process: CallerProcess(pid: 4242, executable: "/usr/bin/kubectl",
                                                                                                            commandLine: ["kubectl", "get", "ns"])))
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try ProxyPipeline.addHTTPHandlers(to: channel.pipeline.syncOperations, limits: ClientLimits()) { progress in
                            ProxyRequestHandler(services: gatewayServices, connection: connection, eventLoop: channel.eventLoop,
                                                headProgress: progress)
                        }
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let rig = Rig(sandbox: sandbox, gatewayURL: "http://127.0.0.1:\(channel.localAddress?.port ?? 0)",
                          gatewayRecorder: gatewayRecorder, relayRecorder: relayRecorder, relay: listener,
                          relayAddress: "127.0.0.1:\(relayPort)", roster: roster, enrolment: issued.enrolment, files: files,
                          adminToken: admin)
            let value = try await body(rig)
            try await channel.close()
            await listener.stop()
            try await group.shutdownGracefully()
            await sandbox.stop()
            files.remove()
            return value
        } catch {
            await relay?.stop()
            try? await group.shutdownGracefully()
            await sandbox.stop()
            files.remove()
            throw error
        }
    }

    static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        try await ProxyForwardingTests.curl(arguments)
    }

    @Test func theAgentsTokenGoesToTheRelayWhichVerifiesImpersonatesAndRecordsTheGateway() async throws {
        try await Self.withRig { rig in
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Audit-ID: relayed-1",
                                                      rig.gatewayURL + "/api/v1/namespaces/default"])
            #expect(status == 200, "\(body)")
            #expect(try JSONParser.parse(body)[path: "metadata", "name"] == "default")
            let event = try await rig.sandbox.auditLog.waitForEvent { $0.auditID == "relayed-1" }
            #expect(event.user.username == "admin", "the relay's credential reached the cluster")
            #expect(event.impersonatedUser?.username == "oidc:alice")
            // The relay's record: the gateway by its certificate, the agent as the gateway reported it.
            let opened = rig.relayRecorder.events.compactMap { if case .connectionOpened(let c) = $0 { c } else { nil } }
            #expect(opened.map(\.gateway) == ["runner-a"])
            #expect(opened.first?.cluster == "sandbox")
            let request = try #require(rig.relayRequests.last)
            #expect(request.identity?.username == "oidc:alice", "the relay verified the token itself")
            #expect(request.auditID == "relayed-1")
            let reported = try JSONParser.parse(try #require(request.reportedSource))
            #expect(reported["uid"] == 1000 && reported["pid"] == 4242 && reported["executable"] == "/usr/bin/kubectl")
            #expect(reported["connection"] == "c7")
            #expect(request.headers.first { $0.name == "Authorization" }?.value == "[redacted]")
            // The gateway's own record is as before.
            let local = rig.gatewayRecorder.events.compactMap { if case .requestReceived(let r) = $0 { r } else { nil } }
            #expect(local.last?.identity?.username == "oidc:alice" && local.last?.reportedSource == nil)
        }
    }

    @Test func aRefusedTokenIsRefusedByTheRelayToo() async throws {
        try await Self.withRig { rig in
            // The gateway refuses it first (the same verification).
            #expect(try await Self.curl(["-H", "Authorization: Bearer forged", rig.gatewayURL + "/api/v1/namespaces"]).status == 401)
            #expect(rig.relayRequests.isEmpty, "a request the gateway refuses never leaves the host")
            // Straight to the relay with the gateway's certificate: no token, a forged one, a forged identity.
            let answers = try await rig.direct("GET", "/api/v1/namespaces")
            #expect(answers.first?["status"] == 401, "\(answers)")
            let forged = try await rig.direct("GET", "/api/v1/namespaces", headers: ["Authorization: Bearer forged"])
            #expect(forged.first?["status"] == 401, "\(forged)")
            let impersonating = try await rig.direct("GET", "/api/v1/namespaces",
                                                     headers: ["Authorization: Bearer good-token", "Impersonate-User: admin"])
            #expect(impersonating.first?["status"] == 403, "\(impersonating)")
            let remoteUser = try await rig.direct("GET", "/api/v1/namespaces",
                                                  headers: ["Authorization: Bearer good-token", "X-Remote-User: admin"])
            #expect(remoteUser.first?["status"] == 403, "\(remoteUser)")
            #expect(rig.relayRejections.map(\.status) == [401, 401, 403, 403])
            #expect(rig.relayRejections.last?.reason.contains("X-Remote-User") == true, "\(rig.relayRejections)")
            #expect(try rig.sandbox.auditLog.events().isEmpty, "nothing reached the cluster")
        }
    }

    @Test func aWatchStreamsThroughTheRelay() async throws {
        try await Self.withRig { rig in
            let list = try await Self.curl(["-H", "Authorization: Bearer good-token", rig.gatewayURL + "/api/v1/namespaces"])
            let rv = try JSONParser.parse(list.body)[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            let watch = try ChildProcess.launch("/usr/bin/curl", ["-s", "-N", "-H", "Authorization: Bearer good-token",
                                                                   rig.gatewayURL + "/api/v1/namespaces?watch=true&resourceVersion=\(rv)"])
            defer { watch.kill() }
            let create = try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json",
                                              "-d", #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"watched"}}"#,
                                              rig.gatewayURL + "/api/v1/namespaces"])
            #expect(create.status == 201, "\(create.body)")
            let line = try await watch.waitForLine(containing: "\"watched\"", timeout: .seconds(10))
            #expect(try JSONParser.parse(line)["type"] == "ADDED")
            #expect(rig.relayRequests.contains { $0.info.verb == "watch" })
        }
    }

    @Test(.enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
    func execOverWebSocketPassesThroughTheRelayAndIsRecordedThere() async throws {
        try await Self.withRig { rig in
            let pod = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#
            #expect(try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json", "-d", pod,
                                         rig.gatewayURL + "/api/v1/namespaces/default/pods"]).status == 201)
            let tokens = try rig.files.write("good-token,admin,uid,\"\"\n", to: "tokens.csv")
            let client = try ChildProcess.launch(try PythonTools.python(), [
                try PythonTools.clientScript("exec_websocket.py"), "--server", rig.gatewayURL, "--ca", rig.sandbox.caCertificatePath,
                "--token-file", tokens, "--path", "/api/v1/namespaces/default/pods/web-1/exec?command=sh&stdin=true&stdout=true&stderr=true",
                "--stdin", "echo through the relay\nexit 4\n", "--ping"])
            #expect(try await client.waitForExit(timeout: .seconds(20)) == .exited(0), "\(client.report)")
            let result = try JSONParser.parse(client.standardOutput)
            #expect(result["stdout"] == "through the relay\n", "\(client.report)")
            #expect(result[path: "status", "message"]?.stringValue?.hasSuffix("exit code 4") == true)
            let relayed = Set(rig.relayRecorder.events.compactMap { if case .streamData(_, _, let d, _) = $0 { d } else { nil } })
            #expect(relayed == [.clientToUpstream, .upstreamToClient], "the relay recorded both directions")
        }
    }

    @Test func aRevokedGatewayIsRefusedAndItsOpenConnectionsClosed() async throws {
        try await Self.withRig { rig in
            #expect(try await Self.curl(["-H", "Authorization: Bearer good-token", rig.gatewayURL + "/api/v1/namespaces/default"]).status == 200)
            var revoked = rig.enrolment
            revoked.revokedAt = "2026-01-01T00:00:00Z"
            revoked.revocationReason = "runner decommissioned"
            let closed = rig.roster.update(GatewayRegistry(gateways: [revoked]))
            #expect(closed["runner-a"] ?? 0 >= 1, "the pooled keep-alive connection was closed: \(closed)")
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", rig.gatewayURL + "/api/v1/namespaces/default"])
            #expect(status == 403, "\(body)")
            #expect(body.contains("was revoked") && body.contains("runner decommissioned"), "\(body)")
            let refused = rig.relayRecorder.events.compactMap { if case .connectionRefused(let r) = $0 { r } else { nil } }
            #expect(refused.last?.peerName == "runner-a" && refused.last?.reason.contains("revoked") == true, "\(refused)")
        }
    }

    @Test func aRelayThatIsDownGetsA503NamingIt() async throws {
        try await Self.withRig { rig in
            await rig.relay.stop()
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", rig.gatewayURL + "/api/v1/namespaces"])
            #expect(status == 503)
            let reply = try Status(json: JSONParser.parse(body))
            #expect(reply.message?.hasPrefix("portcullis: cannot reach the relay \(rig.relayAddress) for cluster sandbox") == true, "\(body)")
            #expect(try rig.sandbox.auditLog.events().isEmpty)
        }
    }

    @Test func withoutACertificateOrAClusterTheRelayRefuses() async throws {
        try await Self.withRig { rig in
            let anonymous = try await rig.direct("GET", "/version", certificate: false)
            #expect(anonymous.first?["status"] == 0, "no client certificate: the handshake fails \(anonymous)")
            let unnamed = try await rig.direct("GET", "/version", cluster: nil, headers: ["Authorization: Bearer good-token"])
            #expect(unnamed.first?["status"] == 403, "\(unnamed)")
            #expect(unnamed.first?["body"]?.stringValue?.contains("names no cluster this relay serves") == true, "\(unnamed)")
            let refused = rig.relayRecorder.events.compactMap { if case .connectionRefused(let r) = $0 { r.reason } else { nil } }
            #expect(refused.count == 2 && refused[0].hasPrefix("the TLS handshake failed"), "\(refused)")
        }
    }

    @Test func theReportedSourceIsPrintableASCIIJSON() throws {
        let connection = ConnectionContext(
            id: ConnectionID(3), cluster: ClusterUpstream(name: "c", endpoints: [], serverNames: [], trustRoots: [], credential: .bearerToken("x")),
            destination: SocketEndpoint(.v4(198, 18, 0, 2), port: 6443), peer: SocketEndpoint(.v4(127, 0, 0, 1), port: 5),
            caller: Caller(uid: 1000, process: CallerProcess(pid: 9, commandLine: ["kubectl", "get", "ns", "héllo\n😀"])))
        let value = ReportedSource.encode(connection: connection, request: RequestID(4))
        #expect(value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, "\(value)")
        let parsed = try JSONParser.parse(value)
        #expect(parsed["commandLine"]?.arrayValue?.last == "héllo\n😀")
        #expect(parsed["request"] == "r4" && parsed["destination"] == "198.18.0.2:6443")
    }
}
