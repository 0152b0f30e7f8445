import Glibc
import NIOCore
import NIOPosix
import Testing
import TestSupport

@testable import Intercept

/// Real iptables/ip6tables REDIRECT in a throwaway agent namespace: a client dials the "API server"
/// (198.18.0.2:6443 or [fd00:5043::2]:6443, routed over the veth to the cluster namespace), the nat
/// OUTPUT rule sends it to the gateway port 15443 on loopback, and the accepted socket must tell where
/// the client meant to go. Sockets are made on a NamespaceThread, so everything runs in this process.
///
/// Skipped without root, unless PORTCULLIS_REQUIRE_ROOT_TESTS=1 (scripts/test.sh), which makes a
/// missing prerequisite fail.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct OriginalDestinationRedirectTests {
    static let apiV4 = "198.18.0.2"
    static let apiV6 = "fd00:5043::2"
    static let agentV6 = "fd00:5043::1"
    static let apiPort: UInt16 = 6443
    static let gatewayPort: UInt16 = 15443

    typealias Outcome = Result<SocketEndpoint, OriginalDestinationError>

    /// Agent and cluster namespaces joined by a veth with IPv4 (TestHosts) and IPv6 addresses, and the
    /// REDIRECT rules in the agent namespace's nat OUTPUT chains. Removed afterwards, also on failure.
    static func withRedirectingAgent<T>(_ body: (TestHosts) async throws -> T) async throws -> T {
        try await TestHosts.withAgentAndCluster { hosts in
            try hosts.agent.ip(["-6", "addr", "add", "\(agentV6)/64", "dev", hosts.link.first.interface, "nodad"])
            try hosts.cluster.ip(["-6", "addr", "add", "\(apiV6)/64", "dev", hosts.link.second.interface, "nodad"])
            for (tool, api) in [("iptables", apiV4), ("ip6tables", apiV6)] {
                let executable = try SystemTools.path(of: tool, package: "iptables")
                let rule = ["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", api, "--dport", "\(apiPort)",
                            "-j", "REDIRECT", "--to-ports", "\(gatewayPort)"]
                let result = try hosts.agent.run(executable, rule)
                guard result.status.isSuccess else {
                    throw HarnessError("\(result.command) failed (\(result.status)): \(result.standardError)")
                }
            }
            return try await body(hosts)
        }
    }

    static func originalDestination(of socket: TestSocket) -> Outcome {
        do {
            let original = try OriginalDestination.of(socket: socket.descriptor)
            return .success(SocketEndpoint(original.address, port: original.port))
        } catch {
            return .failure(error)
        }
    }

    /// What one connection looked like from both ends.
    struct Connection: Sendable {
        var original: Outcome
        var acceptedLocal: SocketEndpoint
        var acceptedPeer: SocketEndpoint
        var acceptedFamily: Int32
        var clientLocal: SocketEndpoint
        var clientPeer: SocketEndpoint
    }

    /// Listens on `listen`:15443 inside the agent namespace, dials `dial`:`port`, accepts, and reads the
    /// accepted socket's original destination.
    static func connect(in hosts: TestHosts, listen: String, v6Only: Bool = true, dial: String,
                        port: UInt16) throws -> Connection {
        try NamespaceThread.run(in: hosts.agent) {
            let listener = try TestSocket.listen(listen, port: gatewayPort, v6Only: v6Only)
            let client = try TestSocket.connectTCP(to: dial, port: port)
            let accepted = try listener.accept()
            return Connection(original: originalDestination(of: accepted), acceptedLocal: try accepted.localEndpoint,
                              acceptedPeer: try accepted.peerEndpoint, acceptedFamily: try accepted.family,
                              clientLocal: try client.localEndpoint, clientPeer: try client.peerEndpoint)
        }
    }

    @Test("a redirected IPv4 connection: the original destination is exactly the API ip:port")
    func redirectedIPv4() async throws {
        try await Self.withRedirectingAgent { hosts in
            let connection = try Self.connect(in: hosts, listen: "127.0.0.1", dial: Self.apiV4, port: Self.apiPort)
            #expect(connection.original == .success(.literal(Self.apiV4, Self.apiPort)))
            // The redirect really happened: the client still sees the API server, the gateway its own port.
            #expect(connection.clientPeer == .literal(Self.apiV4, Self.apiPort))
            #expect(connection.acceptedLocal == .literal("127.0.0.1", Self.gatewayPort))
            #expect(connection.acceptedPeer == connection.clientLocal)
            #expect(connection.clientLocal.address == .v4(198, 18, 0, 1))
        }
    }

    @Test("a redirected IPv6 connection: IP6T_SO_ORIGINAL_DST gives exactly the API [ip]:port")
    func redirectedIPv6() async throws {
        try await Self.withRedirectingAgent { hosts in
            let connection = try Self.connect(in: hosts, listen: "::1", dial: Self.apiV6, port: Self.apiPort)
            #expect(connection.original == .success(.literal(Self.apiV6, Self.apiPort)))
            #expect(connection.clientPeer == .literal(Self.apiV6, Self.apiPort))
            #expect(connection.acceptedLocal == .literal("::1", Self.gatewayPort))
            #expect(connection.acceptedFamily == AF_INET6)
        }
    }

    @Test("an IPv4-mapped client on a dual-stack listener: the IPv4 call gives the IPv4 destination")
    func ipv4MappedClient() async throws {
        try await Self.withRedirectingAgent { hosts in
            let connection = try Self.connect(in: hosts, listen: "::", v6Only: false, dial: "::ffff:\(Self.apiV4)",
                                              port: Self.apiPort)
            #expect(connection.original == .success(SocketEndpoint(.v4(198, 18, 0, 2), port: Self.apiPort)))
            // Both sockets are AF_INET6 with mapped addresses: the family came from the peer, not the socket.
            #expect(connection.acceptedFamily == AF_INET6)
            #expect(connection.acceptedLocal == .literal("127.0.0.1", Self.gatewayPort))
        }
    }

    @Test("a direct connection to the gateway's port is not redirected", arguments: ["127.0.0.1", "::1"])
    func directConnection(_ loopback: String) async throws {
        try await Self.withRedirectingAgent { hosts in
            let connection = try Self.connect(in: hosts, listen: loopback, dial: loopback, port: Self.gatewayPort)
            guard case .failure(let error) = connection.original else {
                Issue.record("expected notRedirected, got \(connection.original)")
                return
            }
            #expect(error.isNotRedirected, "\(error)")
            let admission = try RedirectAdmission(endpoints: [.literal(Self.apiV4, Self.apiPort)],
                                                  gatewayAddresses: [.v4(127, 0, 0, 1), IPAddress("::1")!],
                                                  gatewayPort: Self.gatewayPort)
            #expect(admission.decide(connection.original.map { ($0.address, $0.port) })
                == .refuse(reason: RedirectAdmission.notRedirectedReason))
        }
    }

    @Test("in a namespace that tracks no connections the kernel has no record: ENOENT, notRedirected")
    func noConntrackRecord() async throws {
        let plain = try NetworkNamespace.create(role: "plain")
        defer { plain.remove() }
        let outcome = try NamespaceThread.run(in: plain) { () -> Outcome in
            let listener = try TestSocket.listen("127.0.0.1", port: Self.gatewayPort)
            let client = try TestSocket.connectTCP(to: "127.0.0.1", port: Self.gatewayPort)
            let accepted = try listener.accept()
            _ = client
            return Self.originalDestination(of: accepted)
        }
        guard case .failure(.notRedirected(_, let errno)) = outcome else {
            Issue.record("expected notRedirected, got \(outcome)")
            return
        }
        #expect(errno == ENOENT)
    }

    /// What attribution saw for one redirected connection.
    struct Attributed: Sendable {
        var caller: Caller
        var clientInode: UInt64
        var interface: String?
    }

    /// Inside the agent namespace: a client socket created under filesystem uid `uid` dials `api`,
    /// and the gateway side attributes the accepted connection.
    static func attribute(in hosts: TestHosts, listen: String, api: String, uid: UInt32) throws -> Attributed {
        try NamespaceThread.run(in: hosts.agent) {
            let attribution = try CallerAttribution(processes: ProcessLookup(rememberedProcesses: 0))
            let listener = try TestSocket.listen(listen, port: gatewayPort)
            let client = try FilesystemUID.with(uid) { try TestSocket.connectTCP(to: api, port: apiPort) }
            let accepted = try listener.accept()
            let original = try OriginalDestination.of(socket: accepted.descriptor)
            let peer = try accepted.peerEndpoint
            let flow = Flow(transport: .tcp, source: peer.address, sourcePort: peer.port, destination: original.address,
                            destinationPort: original.port)
            return Attributed(caller: attribution.local(flow: flow), clientInode: try client.inode,
                              interface: CallerAttribution.interface(owning: peer.address))
        }
    }

    @Test("CallerAttribution.local names the redirected client's uid and this process", arguments: [
        ("127.0.0.1", apiV4, UInt32(0)), ("127.0.0.1", apiV4, UInt32(4321)), ("::1", apiV6, UInt32(4322)),
    ])
    func attribution(_ listen: String, _ api: String, _ uid: UInt32) async throws {
        try await Self.withRedirectingAgent { hosts in
            let seen = try Self.attribute(in: hosts, listen: listen, api: api, uid: uid)
            // The uid is the client socket's creator, not the gateway's (this process runs as root).
            #expect(seen.caller.uid == uid)
            #expect(seen.caller.process?.pid == getpid())
            #expect(seen.caller.process?.commandLine == CommandLine.arguments)
            #expect(seen.caller.sourceAddress == IPAddress(api == Self.apiV4 ? "198.18.0.1" : Self.agentV6))
            #expect(seen.interface == hosts.link.first.interface)
        }
    }

    // MARK: NIO

    enum Expected: Sendable, Equatable {
        case destination(SocketEndpoint)
        case notRedirected
    }

    @Test("OriginalDestination.of(channel:) in channelActive of a NIO child channel", arguments: [
        ("127.0.0.1", true, apiV4, apiPort, Expected.destination(.literal(apiV4, apiPort))),
        ("::1", true, apiV6, apiPort, .destination(.literal(apiV6, apiPort))),
        ("::", false, "::ffff:\(apiV4)", apiPort, .destination(.literal(apiV4, apiPort))),
        ("127.0.0.1", true, "127.0.0.1", gatewayPort, .notRedirected),
    ])
    func nioChannel(_ listen: String, _ v6Only: Bool, _ dial: String, _ port: UInt16, _ expected: Expected) async throws {
        try await Self.withRedirectingAgent { hosts in
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let promise = group.next().makePromise(of: Outcome.self)
            do {
                let descriptor = try NamespaceThread.run(in: hosts.agent) {
                    try TestSocket.listeningDescriptor(listen, port: Self.gatewayPort, v6Only: v6Only)
                }
                let server = try await ServerBootstrap(group: group)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(OriginalDestinationProbe(promise: promise))
                        }
                    }
                    .withBoundSocket(descriptor).get()
                // Off the event loop the call refuses rather than block.
                #expect(throws: OriginalDestinationError.unsupported(
                    reason: "OriginalDestination.of(channel:) must be called on the channel's event loop")) {
                    try OriginalDestination.of(channel: server)
                }
                let client = try NamespaceThread.run(in: hosts.agent) { try TestSocket.connectTCP(to: dial, port: port) }
                let timeout = group.next().scheduleTask(in: .seconds(10)) {
                    promise.fail(HarnessError("no connection reached the NIO server within 10 s"))
                }
                let outcome = try await promise.futureResult.get()
                timeout.cancel()
                switch (outcome, expected) {
                case (.success(let original), .destination(let wanted)):
                    #expect(original == wanted)
                case (.failure(let error), .notRedirected):
                    #expect(error.isNotRedirected, "\(error)")
                default:
                    Issue.record("expected \(expected), got \(outcome)")
                }
                _ = client
                try await server.close()
            } catch {
                promise.fail(error)
                try await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        }
    }
}

/// Reads the original destination where the gateway will: in `channelActive`, on the event loop.
final class OriginalDestinationProbe: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<OriginalDestinationRedirectTests.Outcome>

    init(promise: EventLoopPromise<OriginalDestinationRedirectTests.Outcome>) { self.promise = promise }

    func channelActive(context: ChannelHandlerContext) {
        do {
            let original = try OriginalDestination.of(channel: context.channel)
            promise.succeed(.success(SocketEndpoint(original.address, port: original.port)))
        } catch {
            promise.succeed(.failure(error))
        }
        context.close(promise: nil)
    }
}

/// Runs code with the calling thread's filesystem uid set to `uid`: a socket made inside is owned by
/// `uid` (its inode's uid is the fsuid), as if another user had made it. Linux credentials are per
/// thread and glibc's setfsuid does not broadcast, so only this thread changes; it is restored after.
enum FilesystemUID {
    private typealias SetFSUID = @convention(c) (UInt32) -> Int32

    static func with<T>(_ uid: UInt32, _ body: () throws -> T) throws -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid") else {
            throw HarnessError("setfsuid is not available in this C library")
        }
        let setfsuid = unsafeBitCast(symbol, to: SetFSUID.self)
        let previous = UInt32(bitPattern: setfsuid(uid))
        defer { _ = setfsuid(previous) }
        // setfsuid(-1) changes nothing and returns the current fsuid.
        guard UInt32(bitPattern: setfsuid(UInt32.max)) == uid else { throw HarnessError("setfsuid(\(uid)) did not take effect") }
        return try body()
    }
}
