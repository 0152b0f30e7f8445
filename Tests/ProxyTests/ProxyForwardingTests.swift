import Foundation
import Intercept
import Kube
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import TestSupport

@testable import Proxy

/// The forwarding path without interception or TLS towards the client: a plain-HTTP listener whose
/// connections all map to the sandbox on loopback, a fake authenticator, and curl as the client.
/// The sandbox's audit log is the cluster's view.
@Suite(.serialized)
struct ProxyForwardingTests {
    /// Accepts "good-token" as alice, refuses everything else.
    struct FakeAuthenticator: TokenAuthenticator {
        func authenticate(token: String, on eventLoop: any EventLoop) -> EventLoopFuture<AuthenticationOutcome> {
            guard token == "good-token" else { return eventLoop.makeSucceededFuture(.rejected(reason: "unknown token")) }
            return eventLoop.makeSucceededFuture(.authenticated(VerifiedIdentity(
                username: "oidc:alice", groups: ["oidc:devs"], extra: ["scope": ["agents"]], issuer: "https://issuer.test",
                subject: "alice")))
        }
    }

    /// Never used: the test listener speaks plain HTTP.
    struct NoTLS: ServingContextSource {
        func sslContext(destination: IPAddress, serverNames: [String]) throws -> NIOSSLContext {
            throw ProxyStartError(address: "", underlying: "no TLS in this test")
        }
    }

    /// Fails to record requests, as a full or broken store would.
    struct FailingRecorder: ProxyRecorder {
        struct Broken: Error, CustomStringConvertible { var description: String { "the store is not writable" } }
        func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
            if case .requestReceived = event { return eventLoop.makeFailedFuture(Broken()) }
            return eventLoop.makeSucceededVoidFuture()
        }
    }

    /// Holds every `responseCompleted` until the test releases it (or fails it), as a slow or
    /// broken store would; records everything else at once.
    final class GatedRecorder: ProxyRecorder {
        struct Broken: Error, CustomStringConvertible { var description: String { "the store is not writable" } }
        let held = Mutex<[EventLoopPromise<Void>]>([])
        let arrivals: AsyncStream<Void>
        private let arrived: AsyncStream<Void>.Continuation

        init() { (arrivals, arrived) = AsyncStream.makeStream() }

        func record(_ event: ProxyEvent, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
            guard case .responseCompleted = event else { return eventLoop.makeSucceededVoidFuture() }
            let promise = eventLoop.makePromise(of: Void.self)
            held.withLock { $0.append(promise) }
            arrived.yield()
            return promise.futureResult
        }

        func release(failing: Bool) {
            for promise in held.withLock({ list in defer { list = [] }; return list }) {
                if failing { promise.fail(Broken()) } else { promise.succeed() }
            }
        }
    }

    struct Rig {
        var sandbox: SandboxCluster
        var proxyURL: String
        var recorder: InMemoryProxyRecorder
        var channel: any Channel
        var group: MultiThreadedEventLoopGroup
        var adminToken: String
        var reviews: ReviewQueue
    }

    static func withRig<T>(recorder custom: (any ProxyRecorder)? = nil, policy: Policy = Policy(defaultEffect: .allow),
                           limits: ClientLimits = ClientLimits(), maxRequestBodyBytes: Int = 3 * 1024 * 1024,
                           _ body: (Rig) async throws -> T) async throws -> T {
        let sandbox = try await SandboxCluster.start(in: nil, listen: "127.0.0.1:0", logIntervalMilliseconds: 100)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let tokens = try String(contentsOfFile: sandbox.tokenFilePath, encoding: .utf8)
            let admin = try #require(tokens.split(separator: "\n").first { $0.contains(",admin,") }?.split(separator: ",").first.map(String.init))
            let port = try #require(UInt16(sandbox.serverURL.split(separator: ":").last ?? ""))
            let endpoint = SocketEndpoint(.v4(127, 0, 0, 1), port: port)
            let cluster = ClusterUpstream(name: "sandbox", endpoints: [endpoint], serverNames: [],
                                          trustRoots: try NIOSSLCertificate.fromPEMFile(sandbox.caCertificatePath),
                                          credential: .bearerToken(admin))
            let configuration = ProxyConfiguration(port: 15443, listenAddresses: [.v4(127, 0, 0, 1)], clusters: [cluster],
                                                   maxRequestBodyBytes: maxRequestBodyBytes, upstreamConnectTimeout: .seconds(2),
                                                   limits: limits)
            let recorder = InMemoryProxyRecorder()
            let services = try ProxyServices(configuration: configuration, authenticator: FakeAuthenticator(),
                                             servingContexts: NoTLS(), recorder: custom ?? recorder,
                                             policy: AccessPolicy(policy), attribution: nil,
                                             logger: .init(label: "test"))
            let connection = ConnectionContext(id: ConnectionID(1), cluster: cluster, destination: endpoint,
                                               peer: SocketEndpoint(.v4(127, 0, 0, 1), port: 1), caller: Caller(uid: 1000))
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try ProxyPipeline.addHTTPHandlers(to: channel.pipeline.syncOperations, limits: configuration.limits) { progress in
                            ProxyRequestHandler(services: services, connection: connection, eventLoop: channel.eventLoop,
                                                headProgress: progress)
                        }
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let rig = Rig(sandbox: sandbox, proxyURL: "http://127.0.0.1:\(channel.localAddress?.port ?? 0)", recorder: recorder,
                          channel: channel, group: group, adminToken: admin, reviews: services.reviews)
            let value = try await body(rig)
            try await channel.close()
            try await group.shutdownGracefully()
            await sandbox.stop()
            return value
        } catch {
            try? await group.shutdownGracefully()
            await sandbox.stop()
            throw error
        }
    }

    static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        let process = try ChildProcess.launch("/usr/bin/curl", ["-s", "-o", "-", "-w", "\n%{http_code}"] + arguments)
        _ = try await process.waitForExit(timeout: .seconds(20))
        var lines = process.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        return (status, lines.joined(separator: "\n"))
    }

    /// Asserts that the cluster saw no request but a marker sent straight to it afterwards: the
    /// audit log is written asynchronously, so the marker proves everything before it is written.
    static func expectNothingReachedTheCluster(_ rig: Rig, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let marker = "marker-\(UUID().uuidString)"
        _ = try await curl(["--cacert", rig.sandbox.caCertificatePath, "-H", "Authorization: Bearer \(rig.adminToken)",
                            "-H", "Audit-ID: \(marker)", rig.sandbox.serverURL + "/version"])
        _ = try await rig.sandbox.auditLog.waitForEvent { $0.auditID == marker }
        let others = try rig.sandbox.auditLog.events().filter { $0.auditID != marker }
        #expect(others.isEmpty, "the cluster saw: \(others.map(AuditLog.summary))", sourceLocation: sourceLocation)
    }

    @Test func aRequestIsForwardedWithTheGatewaysCredentialImpersonatingTheUser() async throws {
        try await Self.withRig { rig in
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Audit-ID: test-audit-1",
                                                      rig.proxyURL + "/api/v1/namespaces/default"])
            #expect(status == 200, "\(body)")
            #expect(try JSONParser.parse(body)[path: "metadata", "name"] == "default")
            let event = try await rig.sandbox.auditLog.waitForEvent { $0.auditID == "test-audit-1" }
            #expect(event.user.username == "admin")
            #expect(event.impersonatedUser?.username == "oidc:alice")
            #expect(event.impersonatedUser?.groups == ["oidc:devs", "system:authenticated"])
            #expect(event.impersonatedUser?.extra == ["scope": ["agents"]])
            let received = rig.recorder.events.compactMap { if case .requestReceived(let r) = $0 { r } else { nil } }
            #expect(received.last?.intent == "get namespace default")
            #expect(received.last?.headers.first { $0.name == "Authorization" }?.value == "[redacted]")
            #expect(received.last?.identity?.username == "oidc:alice")
        }
    }

    @Test func missingAndRejectedTokensGetTheAPIServers401AndAreNotForwarded() async throws {
        try await Self.withRig { rig in
            for headers in [[String](), ["-H", "Authorization: Bearer wrong"], ["-H", "Authorization: Basic YTpi"]] {
                let (status, body) = try await Self.curl(headers + [rig.proxyURL + "/api/v1/namespaces"])
                #expect(status == 401)
                #expect(body == Status.unauthorized().jsonString)
            }
            try await Self.expectNothingReachedTheCluster(rig)
            let rejected = rig.recorder.events.compactMap { if case .requestRejected(_, _, let status, let reason) = $0 { (status.code, reason) } else { nil } }
            #expect(rejected.map(\.0) == [401, 401, 401])
            #expect(rejected.map(\.1) == ["no token in the Authorization header", "unknown token", "no token in the Authorization header"])
        }
    }

    @Test func clientImpersonationIsRefusedWith403() async throws {
        try await Self.withRig { rig in
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Impersonate-User: admin",
                                                      rig.proxyURL + "/api/v1/namespaces"])
            #expect(status == 403)
            #expect(try Status(json: JSONParser.parse(body)).reason == "Forbidden")
            try await Self.expectNothingReachedTheCluster(rig)
        }
    }

    @Test func aWatchIsRelayedEventByEvent() async throws {
        try await Self.withRig { rig in
            let rv = try JSONParser.parse(try await Self.curl(["-H", "Authorization: Bearer good-token", rig.proxyURL + "/api/v1/namespaces"]).body)[path: "metadata", "resourceVersion"]?.stringValue ?? ""
            let watch = try ChildProcess.launch("/usr/bin/curl", ["-s", "-N", "-H", "Authorization: Bearer good-token",
                                                                   rig.proxyURL + "/api/v1/namespaces?watch=true&resourceVersion=\(rv)"])
            defer { watch.kill() }
            let create = try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json",
                                              "-d", #"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"watched"}}"#,
                                              rig.proxyURL + "/api/v1/namespaces"])
            #expect(create.status == 201, "\(create.body)")
            let line = try await watch.waitForLine(containing: "\"watched\"", timeout: .seconds(10))
            #expect(try JSONParser.parse(line)["type"] == "ADDED")
            #expect(watch.isRunning, "the watch stays open")
        }
    }

    @Test(.enabled(if: PythonTools.shouldRunTests, Comment(rawValue: PythonTools.missingMessage)))
    func execOverWebSocketIsRelayedAndRecorded() async throws {
        try await Self.withRig { rig in
            let pod = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1"},"spec":{"containers":[{"name":"main","image":"nginx"}]}}"#
            #expect(try await Self.curl(["-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json", "-d", pod,
                                         rig.proxyURL + "/api/v1/namespaces/default/pods"]).status == 201)
            let tokenFile = try TemporaryDirectory.create(purpose: "token")
            defer { tokenFile.remove() }
            let tokens = try tokenFile.write("good-token,admin,uid,\"\"\n", to: "tokens.csv")
            let client = try ChildProcess.launch(try PythonTools.python(), [
                try PythonTools.clientScript("exec_websocket.py"), "--server", rig.proxyURL, "--ca", rig.sandbox.caCertificatePath,
                "--token-file", tokens, "--path", "/api/v1/namespaces/default/pods/web-1/exec?command=sh&stdin=true&stdout=true&stderr=true",
                "--stdin", "echo through the gateway\nexit 4\n", "--ping"])
            #expect(try await client.waitForExit(timeout: .seconds(20)) == .exited(0), "\(client.report)")
            let result = try JSONParser.parse(client.standardOutput)
            #expect(result["protocol"] == "v4.channel.k8s.io", "\(client.report)")
            #expect(result["stdout"] == "through the gateway\n")
            #expect(result["pong"] == "are-you-there")
            #expect(result[path: "status", "message"]?.stringValue?.hasSuffix("exit code 4") == true)
            let directions = Set(rig.recorder.events.compactMap { if case .streamData(_, _, let d, _) = $0 { d } else { nil } })
            #expect(directions == [.clientToUpstream, .upstreamToClient], "both directions of the stream were recorded")
            let exec = try await rig.sandbox.auditLog.waitForEvent { $0.objectRef?.subresource == "exec" }
            #expect(exec.impersonatedUser?.username == "oidc:alice")
        }
    }

    @Test func anUnreachableAPIServerGetsA503Status() async throws {
        try await Self.withRig { rig in
            await rig.sandbox.stop()
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", rig.proxyURL + "/api/v1/namespaces"])
            #expect(status == 503)
            let reply = try Status(json: JSONParser.parse(body))
            #expect(reply.reason == "ServiceUnavailable")
            #expect(reply.message?.hasPrefix("portcullis: cannot reach the API server 127.0.0.1:") == true, "\(body)")
        }
    }

    @Test func aRequestThatCannotBeRecordedIsNotForwarded() async throws {
        try await Self.withRig(recorder: FailingRecorder()) { rig in
            let (status, body) = try await Self.curl(["-H", "Authorization: Bearer good-token", rig.proxyURL + "/api/v1/namespaces"])
            #expect(status == 503)
            #expect(body.contains("could not be recorded"))
            try await Self.expectNothingReachedTheCluster(rig)
        }
    }

    @Test func anOrdinaryResponseReachesTheClientOnlyAfterItsRecordIsCommitted() async throws {
        let recorder = GatedRecorder()
        try await Self.withRig(recorder: recorder) { rig in
            let client = try ChildProcess.launch("/usr/bin/curl", ["-s", "-H", "Authorization: Bearer good-token",
                                                                    rig.proxyURL + "/api/v1/namespaces/default"])
            defer { client.kill() }
            var arrivals = recorder.arrivals.makeAsyncIterator()
            _ = await arrivals.next()
            // The upstream has answered in full; nothing of it may reach the client yet.
            await #expect(throws: (any Error).self) { try await client.waitForExit(timeout: .milliseconds(500)) }
            #expect(client.standardOutput.isEmpty)
            recorder.release(failing: false)
            #expect(try await client.waitForExit(timeout: .seconds(10)) == .exited(0))
            #expect(try JSONParser.parse(client.standardOutput)[path: "metadata", "name"] == "default")
        }
    }

    @Test func aResponseThatCannotBeRecordedIsWithheldWith503() async throws {
        let recorder = GatedRecorder()
        try await Self.withRig(recorder: recorder) { rig in
            let client = try ChildProcess.launch("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer good-token",
                                                                    "-H", "Audit-ID: withheld-1", rig.proxyURL + "/api/v1/namespaces/default"])
            defer { client.kill() }
            var arrivals = recorder.arrivals.makeAsyncIterator()
            _ = await arrivals.next()
            recorder.release(failing: true)
            #expect(try await client.waitForExit(timeout: .seconds(10)) == .exited(0))
            let lines = client.standardOutput.split(separator: "\n")
            #expect(lines.last == "503")
            let reply = try Status(json: JSONParser.parse(String(lines.first ?? "")))
            #expect(reply.message?.contains("its response could not be recorded, so it is withheld") == true, "\(client.standardOutput)")
            #expect(!client.standardOutput.contains("\"kind\":\"Namespace\""), "no byte of the response was delivered")
            _ = try await rig.sandbox.auditLog.waitForEvent { $0.auditID == "withheld-1" }
        }
    }
}
