import Glibc
import Testing

@testable import Intercept

/// sock_diag against real sockets of this test process, on loopback: needs no privileges.
@Suite struct AttributionSocketDiagnosticsTests {
    static let loopbacks = ["127.0.0.1", "::1"]

    @Test("a TCP client socket is found by (client -> server) with our uid and its inode", arguments: loopbacks)
    func tcpClientSocket(_ loopback: String) throws {
        let listener = try TestSocket.listen(loopback)
        let server = try listener.localEndpoint
        let client = try TestSocket.connectTCP(to: loopback, port: server.port)
        let accepted = try listener.accept()
        let diagnostics = try SocketDiagnostics()

        let owner = try #require(try diagnostics.socket(of: .between(.tcp, try client.localEndpoint, server)))
        #expect(owner.uid == getuid())
        #expect(owner.inode == (try client.inode))
        #expect(owner.local == (try client.localEndpoint))
        #expect(owner.remote == server)
        #expect(owner.state == 1, "TCP_ESTABLISHED")

        // The reverse direction is the accepted socket: a different inode, so the lookup is exact.
        let reverse = try #require(try diagnostics.socket(of: .between(.tcp, server, try client.localEndpoint)))
        #expect(reverse.inode == (try accepted.inode))
        #expect(reverse.inode != owner.inode)
    }

    @Test("a connected UDP socket is found by its 4-tuple; an unconnected one by its bound port", arguments: loopbacks)
    func udpSockets(_ loopback: String) throws {
        let server = try TestSocket.boundUDP(loopback)
        let serverEnd = try server.localEndpoint
        let client = try TestSocket.connectedUDP(to: loopback, port: serverEnd.port)
        let clientEnd = try client.localEndpoint
        let diagnostics = try SocketDiagnostics()

        let owner = try #require(try diagnostics.socket(of: .between(.udp, clientEnd, serverEnd)))
        #expect(owner.uid == getuid())
        #expect(owner.inode == (try client.inode))
        #expect(owner.local == clientEnd)
        #expect(owner.remote == serverEnd)

        // A packet from the unconnected server socket to the client: the server socket sent it.
        let sender = try #require(try diagnostics.socket(of: .between(.udp, serverEnd, clientEnd)))
        #expect(sender.inode == (try server.inode))
        #expect(sender.remote.port == 0)
    }

    @Test("no socket with those ends gives nil, also where the kernel would fall back to a listener")
    func noMatch() throws {
        let diagnostics = try SocketDiagnostics()
        let freePort = try TestSocket.listen("127.0.0.1").localEndpoint.port  // closed again at once
        #expect(try diagnostics.socket(of: .between(.tcp, .literal("127.0.0.1", freePort), .literal("127.0.0.1", 9))) == nil)
        #expect(try diagnostics.socket(of: .between(.tcp, .literal("::1", freePort), .literal("::1", 9))) == nil)

        // inet_lookup returns a listening socket for an unknown peer; its ends differ, so: no match.
        let listener = try TestSocket.listen("127.0.0.1")
        let listening = try listener.localEndpoint
        #expect(try diagnostics.socket(of: .between(.tcp, listening, .literal("127.0.0.1", 9))) == nil)

        let udpPort = try TestSocket.boundUDP("127.0.0.1").localEndpoint.port  // closed again at once
        #expect(try diagnostics.socket(of: .between(.udp, .literal("127.0.0.1", udpPort), .literal("127.0.0.1", 9))) == nil)
    }

    @Test("many lookups on one instance, from several threads at once, all find the socket")
    func concurrentLookups() async throws {
        let listener = try TestSocket.listen("127.0.0.1")
        let server = try listener.localEndpoint
        let client = try TestSocket.connectTCP(to: "127.0.0.1", port: server.port)
        let flow = Flow.between(.tcp, try client.localEndpoint, server)
        let inode = try client.inode
        let diagnostics = try SocketDiagnostics()
        let found = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var hits = 0
                    for _ in 0..<100 where try diagnostics.socket(of: flow)?.inode == inode { hits += 1 }
                    return hits
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(found == 400)
    }

    @Test("flows that cannot be looked up are errors that say why")
    func unsupportedFlows() throws {
        let diagnostics = try SocketDiagnostics()
        #expect(throws: SocketDiagnosticsError.self) {
            try diagnostics.socket(of: .between(.tcp, .literal("127.0.0.1", 1), .literal("::1", 2)))
        }
        #expect(throws: SocketDiagnosticsError.self) {
            try diagnostics.socket(of: .between(.sctp, .literal("127.0.0.1", 1), .literal("127.0.0.1", 2)))
        }
        let noPorts = Flow(transport: .tcp, source: .v4(127, 0, 0, 1), sourcePort: nil, destination: .v4(127, 0, 0, 1),
                           destinationPort: 80)
        do {
            _ = try diagnostics.socket(of: noPorts)
            Issue.record("a flow without ports must be refused")
        } catch {
            #expect(error.description == "sock_diag: cannot look up tcp 127.0.0.1 -> 127.0.0.1:80: it has no ports")
        }
    }
}

/// The request and reply bytes, against the kernel's UAPI layouts.
@Suite struct AttributionWireTests {
    @Test func requestLayout() {
        let id = InetDiagWire.SocketID(source: .literal("10.1.2.3", 0x1234), destination: .literal("198.18.0.2", 6443))
        let bytes = InetDiagWire.request(sequence: 7, family: AF_INET, protocolNumber: 6, id: id)
        #expect(bytes.count == 72)
        #expect(Array(bytes[0..<4]) == [72, 0, 0, 0])          // nlmsg_len
        #expect(Array(bytes[4..<6]) == [20, 0])                // SOCK_DIAG_BY_FAMILY
        #expect(Array(bytes[6..<8]) == [1, 0])                 // NLM_F_REQUEST, no NLM_F_DUMP
        #expect(Array(bytes[8..<12]) == [7, 0, 0, 0])          // seq
        #expect(Array(bytes[16..<20]) == [2, 6, 0, 0])         // AF_INET, IPPROTO_TCP, ext, pad
        #expect(Array(bytes[20..<24]) == [0xFF, 0xFF, 0xFF, 0xFF])  // all states
        #expect(Array(bytes[24..<28]) == [0x12, 0x34, 0x19, 0x2B])  // sport, dport (6443) big-endian
        #expect(Array(bytes[28..<44]) == [10, 1, 2, 3] + [UInt8](repeating: 0, count: 12))
        #expect(Array(bytes[44..<60]) == [198, 18, 0, 2] + [UInt8](repeating: 0, count: 12))
        #expect(Array(bytes[60..<64]) == [0, 0, 0, 0])         // idiag_if
        #expect(Array(bytes[64..<72]) == [UInt8](repeating: 0xFF, count: 8))  // INET_DIAG_NOCOOKIE
    }

    @Test func replyParsing() throws {
        var reply: [UInt8] = [88, 0, 0, 0, 20, 0, 2, 0, 9, 0, 0, 0, 0, 0, 0, 0]  // nlmsghdr, NLM_F_MULTI
        reply += [10, 1, 0, 0]                                                    // AF_INET6, ESTABLISHED
        reply += [0x9C, 0x40, 0x19, 0x2B]                                         // 40000 -> 6443
        reply += [0xFD, 0, 0x50, 0x43] + [UInt8](repeating: 0, count: 11) + [1]   // fd00:5043::1
        reply += [0xFD, 0, 0x50, 0x43] + [UInt8](repeating: 0, count: 11) + [2]   // fd00:5043::2
        reply += [UInt8](repeating: 0, count: 12 + 12)                            // if, cookie, expires, queues
        reply += [0xE8, 0x03, 0, 0, 0x39, 0x30, 0, 0]                             // uid 1000, inode 12345
        reply += [20, 0, 0, 0, 2, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF]  // NLMSG_ERROR -2
        let messages = try reply.withUnsafeBytes { try InetDiagWire.messages(in: $0) }
        #expect(messages.count == 2)
        #expect(messages[0].0 == 9)
        #expect(messages[0].1 == .socket(family: AF_INET6, state: 1,
                                          id: .init(source: .literal("fd00:5043::1", 40000), destination: .literal("fd00:5043::2", 6443)),
                                          uid: 1000, inode: 12345, cgroupID: nil))
        #expect(messages[1].0 == 10)
        #expect(messages[1].1 == .error(ENOENT))
    }

    @Test("the cgroup id attribute after the message is read; others and a malformed one are skipped")
    func cgroupAttribute() throws {
        var attributes: [UInt8] = [5, 0, 5, 0, 0, 0, 0, 0]                           // INET_DIAG_TOS, 1 byte, padded
        attributes += [12, 0, 21, 0, 0x2C, 0x01, 0, 0, 0, 0, 0, 0]                    // INET_DIAG_CGROUP_ID 300
        let found = attributes.withUnsafeBytes { InetDiagWire.cgroupID(attributesIn: $0) }
        #expect(found == 300)
        let malformed: [UInt8] = [40, 0, 21, 0, 1, 0, 0, 0]
        #expect(malformed.withUnsafeBytes { InetDiagWire.cgroupID(attributesIn: $0) } == nil)
        let absent: [UInt8] = [8, 0, 15, 0, 1, 0, 0, 0]
        #expect(absent.withUnsafeBytes { InetDiagWire.cgroupID(attributesIn: $0) } == nil)
    }

    @Test func truncatedRepliesAreErrors() {
        let reply: [UInt8] = [200, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]
        #expect(throws: SocketDiagnosticsError.self) { try reply.withUnsafeBytes { try InetDiagWire.messages(in: $0) } }
        let shortMessage: [UInt8] = [20, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]
        #expect(throws: SocketDiagnosticsError.self) { try shortMessage.withUnsafeBytes { try InetDiagWire.messages(in: $0) } }
    }
}
