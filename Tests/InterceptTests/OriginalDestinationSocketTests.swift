import Glibc
import NIOCore
import NIOPosix
import Testing

@testable import Intercept

/// OriginalDestination on sockets that were not redirected, in this process's own namespace: needs no
/// privileges. (The redirected cases need iptables: OriginalDestinationRedirectTests.)
@Suite struct OriginalDestinationSocketTests {
    @Test("a direct TCP connection on loopback is not redirected", arguments: ["127.0.0.1", "::1"])
    func directLoopback(_ loopback: String) throws {
        let listener = try TestSocket.listen(loopback)
        let client = try TestSocket.connectTCP(to: loopback, port: try listener.localEndpoint.port)
        let accepted = try listener.accept()
        do {
            let original = try OriginalDestination.of(socket: accepted.descriptor)
            Issue.record("expected notRedirected, got \(original)")
        } catch {
            // ENOENT when this namespace does not track connections; otherwise conntrack's record
            // names the socket's own address.
            guard case .notRedirected(let connection, let errno) = error else {
                Issue.record("expected notRedirected, got \(error)")
                return
            }
            #expect(connection == "\(try accepted.localEndpoint) <- \(try client.localEndpoint)")
            #expect(errno == nil || errno == ENOENT)
        }
    }

    @Test("UDP has no original destination: ENOPROTOOPT, named with the call", arguments: [
        ("127.0.0.1", "getsockopt(SOL_IP, SO_ORIGINAL_DST)"), ("::1", "getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)"),
    ])
    func udp(_ loopback: String, _ call: String) throws {
        let server = try TestSocket.boundUDP(loopback)
        let client = try TestSocket.connectedUDP(to: loopback, port: try server.localEndpoint.port)
        let connection = "\(try client.localEndpoint) <- \(try server.localEndpoint)"
        #expect(throws: OriginalDestinationError.systemCallFailed(call: call, errno: ENOPROTOOPT, connection: connection)) {
            try OriginalDestination.of(socket: client.descriptor)
        }
    }

    @Test("sockets without a peer, of another family, or no socket at all")
    func unusableSockets() throws {
        let listener = try TestSocket.listen("127.0.0.1")
        #expect(throws: OriginalDestinationError.systemCallFailed(call: "getpeername", errno: ENOTCONN, connection: nil)) {
            try OriginalDestination.of(socket: listener.descriptor)
        }
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { pair.forEach { _ = close($0) } }
        #expect(throws: OriginalDestinationError.unsupported(reason: "socket \(pair[0]) is of address family 1, not IPv4 or IPv6")) {
            try OriginalDestination.of(socket: pair[0])
        }
        #expect(throws: OriginalDestinationError.systemCallFailed(call: "getsockname", errno: EBADF, connection: nil)) {
            try OriginalDestination.of(socket: -1)
        }
    }

    @Test("of(channel:) on a NIO child channel of a direct connection: notRedirected, read in channelActive")
    func nioDirect() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let promise = group.next().makePromise(of: OriginalDestinationRedirectTests.Outcome.self)
        do {
            let server = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(OriginalDestinationProbe(promise: promise))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = try #require(server.localAddress?.port)
            let client = try TestSocket.connectTCP(to: "127.0.0.1", port: UInt16(port))
            let outcome = try await promise.futureResult.get()
            guard case .failure(let error) = outcome, case .notRedirected(let connection, _) = error else {
                Issue.record("expected notRedirected, got \(outcome)")
                throw CancellationError()
            }
            #expect(connection == "127.0.0.1:\(port) <- \(try client.localEndpoint)")
            try await server.close()
        } catch {
            promise.fail(error)
            try await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }
}
