import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Intercept

/// The guard against the real kernel, in throwaway namespaces: an agent namespace whose mangle
/// POSTROUTING sends everything to 198.18.0.2 and fd00:5043::2 to queue 4242 (no `--queue-bypass`),
/// and a cluster namespace that listens on those addresses and on the unguarded .3 / ::3, so a
/// packet that got through would be seen. The host's own tables are never touched.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct GuardNetfilterQueueTests {
    // MARK: Local senders

    @Test("a local sender's UDP and TCP SYNs are dropped and reported with its uid, gid, 5-tuple and interface",
          arguments: [AddressFamily.v4, .v6])
    func dropsAndReportsLocalSenders(_ family: AddressFamily) async throws {
        try await GuardLab.with { lab in
            let (reporter, recorder, guardian) = try lab.startGuard()
            defer { guardian.stop() }
            let addresses = GuardLab.addresses(family)

            let probe = try await lab.probe(from: addresses.agent, to: addresses.guarded, as: RunAs(uid: 64991, gid: 64991))
            #expect(probe.tcpResult == "timeout", "the SYN must be dropped, so connect times out\n\(probe.report)")
            try await lab.expectOpenPathWorks(family)
            #expect(lab.received(at: addresses.guarded).isEmpty, "\(lab.receiver.report)")

            let udpFlow = Flow(transport: .udp, source: IPAddress(addresses.agent)!, sourcePort: probe.udpPort,
                               destination: IPAddress(addresses.guarded)!, destinationPort: GuardLab.port)
            let tcpFlow = Flow(transport: .tcp, source: IPAddress(addresses.agent)!, sourcePort: probe.tcpPort,
                               destination: IPAddress(addresses.guarded)!, destinationPort: GuardLab.port)
            let attempts = try await lab.waitForAttempts(recorder, reporter, count: 2)
            for flow in [udpFlow, tcpFlow] {
                let attempt = try #require(attempts.first { $0.flow == flow }, "no attempt with \(flow) in \(attempts)")
                #expect(attempt.caller.uid == 64991)
                #expect(attempt.caller.gid == 64991)
                #expect(attempt.outInterface == lab.agentInterface)
                #expect(attempt.inInterface == nil)
            }
            #expect(attempts.count == 2, "one recorded attempt per key: \(attempts)")

            // Every packet the rule queued reached the reporter, no more and no fewer.
            let rulePackets = try await lab.waitForRuleCount(family, reporter: reporter)
            #expect(reporter.totalDropped == rulePackets)
            #expect(reporter.counts[BypassKey(flow: udpFlow, uid: 64991)] == 1)
            #expect((reporter.counts[BypassKey(flow: tcpFlow, uid: 64991)] ?? 0) >= 1)
            #expect(try lab.queueStatus()?.waiting == 0, "every queued packet got its verdict")
            let statistics = guardian.statistics
            #expect(statistics.packets == rulePackets)
            #expect(statistics.verdictFailures == 0 && statistics.missingPacketHeaders == 0)
        }
    }

    @Test("the uid is the socket owner's: uid 64992 in group 64990 is reported as uid 64992, gid 64990")
    func reportsUIDNotGroup() async throws {
        try await GuardLab.with { lab in
            let (reporter, recorder, guardian) = try lab.startGuard()
            defer { guardian.stop() }
            let probe = try await lab.probe(from: GuardLab.agentV4, to: GuardLab.guardedV4, as: RunAs(uid: 64992, gid: 64990))
            #expect(probe.tcpResult == "timeout", "\(probe.report)")
            let attempts = try await lab.waitForAttempts(recorder, reporter, count: 2)
            #expect(attempts.map(\.caller.uid) == [64992, 64992])
            #expect(attempts.map(\.caller.gid) == [64990, 64990])
            #expect(Set(reporter.counts.keys.map(\.origin)) == [.uid(64992)])
        }
    }

    @Test("a forwarded packet has no uid: it is reported by source address and input interface")
    func reportsForwardedPacketsBySource() async throws {
        try await GuardLab.with { lab in
            // A "container" behind the agent, routed through it to the cluster.
            let container = try NetworkNamespace.create(role: "container")
            defer { container.remove() }
            let link = try VethLink.connect(container, address: "198.19.0.2", to: lab.agent, address: "198.19.0.1")
            try container.ip(["route", "add", "198.18.0.0/24", "via", "198.19.0.1"])
            try lab.hosts.cluster.ip(["route", "add", "198.19.0.0/24", "via", GuardLab.agentV4])
            let forwarding = try lab.agent.run("/usr/sbin/sysctl", ["-w", "net.ipv4.ip_forward=1"])
            #expect(forwarding.status.isSuccess, "\(forwarding.standardError)")

            let (reporter, recorder, guardian) = try lab.startGuard()
            defer { guardian.stop() }
            let probe = try await lab.probe(from: "198.19.0.2", to: GuardLab.guardedV4, as: RunAs(uid: 64991, gid: 64991),
                                            in: container)
            #expect(probe.tcpResult == "timeout", "\(probe.report)")
            // The open address is reachable through the same forwarding path.
            let open = try await lab.probe(from: "198.19.0.2", to: GuardLab.openV4, as: RunAs(uid: 64991, gid: 64991),
                                           in: container)
            #expect(open.tcpResult == "connected", "\(open.report)")
            #expect(lab.received(at: GuardLab.guardedV4).isEmpty, "\(lab.receiver.report)")

            let attempts = try await lab.waitForAttempts(recorder, reporter, count: 2)
            let udp = try #require(attempts.first { $0.flow.transport == .udp }, "\(attempts)")
            #expect(udp.flow == Flow(transport: .udp, source: IPAddress("198.19.0.2")!, sourcePort: probe.udpPort,
                                     destination: IPAddress(GuardLab.guardedV4)!, destinationPort: GuardLab.port))
            #expect(udp.caller == Caller(sourceAddress: IPAddress("198.19.0.2")!, interface: link.second.interface))
            #expect(udp.inInterface == link.second.interface)
            #expect(udp.outInterface == lab.agentInterface)
            #expect(Set(reporter.counts.keys.map(\.origin)) == [.source(IPAddress("198.19.0.2")!)])
        }
    }

    // MARK: Fail closed

    @Test("with no guard at all, the rule's packets are dropped")
    func dropsWithoutAGuard() async throws {
        try await GuardLab.with { lab in
            #expect(try lab.queueStatus() == nil)
            let probe = try await lab.probe(from: GuardLab.agentV4, to: GuardLab.guardedV4, as: RunAs(uid: 64991, gid: 64991))
            #expect(probe.tcpResult == "timeout", "\(probe.report)")
            try await lab.expectOpenPathWorks(.v4)
            #expect(lab.received(at: GuardLab.guardedV4).isEmpty, "\(lab.receiver.report)")
            #expect(try lab.rulePackets(.v4) >= 2, "the UDP datagram and at least one SYN went to the queue")
        }
    }

    @Test("after stop, the queue is gone and the rule's packets are still dropped")
    func dropsAfterStop() async throws {
        try await GuardLab.with { lab in
            let (reporter, _, guardian) = try lab.startGuard()
            let status = try #require(try lab.queueStatus(), "the kernel lists the queue while the guard runs")
            #expect(status.peerPortID != 0)
            #expect(status.copyMode == 2 && status.copyRange == 128)
            #expect(guardian.isRunning)

            guardian.stop()
            guardian.stop()  // idempotent
            #expect(!guardian.isRunning)
            #expect(try lab.queueStatus() == nil, "no listener once stopped")

            let before = try lab.rulePackets(.v4)
            let probe = try await lab.probe(from: GuardLab.agentV4, to: GuardLab.guardedV4, as: RunAs(uid: 64991, gid: 64991))
            #expect(probe.tcpResult == "timeout", "\(probe.report)")
            try await lab.expectOpenPathWorks(.v4)
            #expect(lab.received(at: GuardLab.guardedV4).isEmpty, "\(lab.receiver.report)")
            #expect(try lab.rulePackets(.v4) >= before + 2)
            reporter.flush()
            #expect(reporter.totalDropped == 0, "nothing reaches a stopped guard")
        }
    }

    @Test("a full queue drops packets instead of accepting them (no FAIL_OPEN)")
    func fullQueueDrops() async throws {
        try await GuardLab.with { lab in
            let release = DispatchSemaphore(value: 0)
            let seen = LockedBox(0)
            // The callback blocks on the first packet, so the queue (4 long) fills up behind it.
            let guardian = NetfilterQueueGuard(configuration: NetfilterQueueConfiguration(maximumLength: 4),
                                               logger: CollectedLog().logger) { _ in
                if seen.update({ $0 += 1; return $0 }) == 1 { release.wait() }
            }
            try NamespaceThread.run(in: lab.agent) { try guardian.start() }
            defer {
                release.signal()
                guardian.stop()
            }
            let flood = try await lab.flood(from: GuardLab.agentV4, to: GuardLab.guardedV4, count: 50)
            #expect(flood.sent == 50, "\(flood.report)")
            // One packet got its verdict before the callback blocked; the other 49 either wait in the
            // full queue or were dropped by the kernel (how many of each depends on timing).
            let full = try await lab.waitForQueue { $0.queueDropped + $0.waiting == 49 }
            #expect((1...4).contains(full.waiting), "\(full)")
            #expect(full.queueDropped >= 45, "\(full)")
            try await lab.expectOpenPathWorks(.v4)
            #expect(lab.received(at: GuardLab.guardedV4).isEmpty, "\(lab.receiver.report)")

            release.signal()
            let drained = try await lab.waitForQueue { $0.waiting == 0 }
            let handled = 1 + Int(full.waiting)
            try await GuardLab.waitUntil("the guard handled the \(handled) queued packets") { seen.value == handled }
            #expect(seen.value + Int(drained.queueDropped) == 50)
            #expect(drained.userDropped == 0)
        }
    }

    // MARK: Floods

    @Test("a flood of 2,000 UDP packets is counted exactly, with a bounded log")
    func floodIsCountedExactly() async throws {
        try await GuardLab.with { lab in
            let log = CollectedLog()
            let (reporter, recorder, guardian) = try lab.startGuard(log: log)
            defer { guardian.stop() }
            let started = ContinuousClock.now
            let flood = try await lab.flood(from: GuardLab.agentV4, to: GuardLab.guardedV4, count: 2_000)
            #expect(flood.sent == 2_000, "\(flood.report)")
            let rulePackets = try await lab.waitForRuleCount(.v4, reporter: reporter, atLeast: flood.sent)
            let elapsed = ContinuousClock.now - started
            let status = try #require(try lab.queueStatus())
            reporter.flush()
            print("guard flood: sent \(flood.sent), rule \(rulePackets), reported \(reporter.totalDropped), "
                + "queue_dropped \(status.queueDropped), user_dropped \(status.userDropped), in \(elapsed), "
                + "receive buffer \(guardian.statistics.receiveBufferBytes) bytes, log lines \(log.messages.count)")

            #expect(rulePackets == flood.sent)
            #expect(reporter.totalDropped + Int(status.queueDropped) + Int(status.userDropped) == flood.sent)
            #expect(status.queueDropped == 0 && status.userDropped == 0, "maxlen 4096 holds 2,000 packets")
            #expect(reporter.totalDropped == flood.sent)
            let key = BypassKey(origin: .uid(64991), destination: IPAddress(GuardLab.guardedV4)!, transport: .udp)
            #expect(reporter.counts == [key: flood.sent])
            #expect(GuardLab.attempts(recorder).count == 1, "one recorded attempt for the whole flood")
            #expect(log.messages.count <= 30, "\(log.messages.count) log lines")
            #expect(log.messages.contains { $0.contains("bypass-attempt log lines (total dropped: \(flood.sent))") })
            #expect(lab.received(at: GuardLab.guardedV4).isEmpty)
        }
    }

    // MARK: Start errors

    @Test("a second guard on a held queue fails, naming the queue and the holder")
    func secondGuardFails() async throws {
        try await GuardLab.with { lab in
            let (_, _, first) = try lab.startGuard()
            defer { first.stop() }
            let second = NetfilterQueueGuard(logger: CollectedLog().logger) { _ in }
            let error = try NamespaceThread.run(in: lab.agent) { () -> NetfilterQueueError? in
                do throws(NetfilterQueueError) {
                    try second.start()
                    return nil
                } catch {
                    return error
                }
            }
            let holder = try #require(try lab.queueStatus()).peerPortID
            // Linux answers EPERM (the queue has another peer); some kernels said EBUSY.
            guard case .queueHeldByAnotherProcess(queue: 4242, peerPortID: .some(holder), _) = error else {
                Issue.record("expected queueHeldByAnotherProcess with holder \(holder), got \(String(describing: error))")
                return
            }
            #expect(error?.description.hasPrefix("netfilter queue 4242 is already held by another process") == true)
            #expect(!second.isRunning)
            #expect(first.isRunning)
        }
    }

    @Test("without CAP_NET_ADMIN, start fails saying so")
    func needsNetAdmin() async throws {
        try await GuardLab.with { lab in
            let guardian = NetfilterQueueGuard(logger: CollectedLog().logger) { _ in }
            let error = try NamespaceThread.run(in: lab.agent) { () -> NetfilterQueueError? in
                // Capabilities are per thread: only this short-lived thread loses CAP_NET_ADMIN.
                try ThreadCapabilities.dropEffective(bit: 12)
                do throws(NetfilterQueueError) {
                    try guardian.start()
                    return nil
                } catch {
                    return error
                }
            }
            guard case .needsNetAdmin(queue: 4242, _, errno: EPERM) = error else {
                Issue.record("expected needsNetAdmin, got \(String(describing: error))")
                return
            }
            #expect(error?.description.hasPrefix("opening netfilter queue 4242 needs CAP_NET_ADMIN") == true)
            #expect(!guardian.isRunning)
            #expect(try lab.queueStatus() == nil)
        }
    }
}

// MARK: - The lab

/// Two namespaces joined by a veth, the fail-closed rules in the agent's mangle POSTROUTING, and a
/// receiver on the cluster side. Removed after each test, also on failure.
struct GuardLab: Sendable {
    static let queue: UInt16 = 4242
    static let port: UInt16 = 6443
    static let agentV4 = TestHosts.agentAddress
    static let guardedV4 = TestHosts.clusterAddress
    static let openV4 = "198.18.0.3"
    static let agentV6 = "fd00:5043::1"
    static let guardedV6 = "fd00:5043::2"
    static let openV6 = "fd00:5043::3"
    static let python = "/usr/bin/python3"

    let hosts: TestHosts
    let receiver: ChildProcess

    var agent: NetworkNamespace { hosts.agent }
    var agentInterface: String { hosts.link.first.interface }

    static func addresses(_ family: AddressFamily) -> (agent: String, guarded: String, open: String) {
        family == .v4 ? (agentV4, guardedV4, openV4) : (agentV6, guardedV6, openV6)
    }

    static func with<T>(_ body: (GuardLab) async throws -> T) async throws -> T {
        try await TestHosts.withAgentAndCluster { hosts in
            let (agentSide, clusterSide) = (hosts.link.first.interface, hosts.link.second.interface)
            try hosts.cluster.ip(["addr", "add", "\(openV4)/24", "dev", clusterSide])
            try hosts.agent.ip(["-6", "addr", "add", "\(agentV6)/64", "dev", agentSide, "nodad"])
            for address in [guardedV6, openV6] {
                try hosts.cluster.ip(["-6", "addr", "add", "\(address)/64", "dev", clusterSide, "nodad"])
            }
            try iptables(hosts.agent, "iptables", guardedV4)
            try iptables(hosts.agent, "ip6tables", guardedV6)
            let receiver = try hosts.cluster.launch(python, ["-u", "-c", receiverScript, guardedV4, openV4, guardedV6, openV6],
                                                    options: LaunchOptions(label: "receiver"))
            defer { receiver.kill() }
            try await receiver.waitForLine(containing: "ready")
            return try await body(GuardLab(hosts: hosts, receiver: receiver))
        }
    }

    /// The rule under test, in the agent namespace only.
    private static func iptables(_ namespace: NetworkNamespace, _ tool: String, _ destination: String) throws {
        let result = try namespace.run("/usr/sbin/\(tool)", ["-w", "-t", "mangle", "-A", "POSTROUTING", "-d", destination,
                                                              "-j", "NFQUEUE", "--queue-num", String(queue)])
        guard result.status.isSuccess else {
            throw HarnessError("\(tool) in \(namespace.name) failed: \(result.standardError)")
        }
    }

    /// Packets the NFQUEUE rule has sent to the queue, from the kernel's rule counter.
    func rulePackets(_ family: AddressFamily) throws -> Int {
        let tool = family == .v4 ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables"
        let result = try agent.run(tool, ["-w", "-t", "mangle", "-L", "POSTROUTING", "-v", "-x", "-n"])
        guard result.status.isSuccess,
              let line = result.standardOutput.split(separator: "\n").first(where: { $0.contains("NFQUEUE num \(Self.queue)") }),
              let packets = line.split(separator: " ").first.flatMap({ Int($0) }) else {
            throw HarnessError("no NFQUEUE rule counter in:\n\(result.standardOutput)\(result.standardError)")
        }
        return packets
    }

    /// The kernel's view of queue 4242 in the agent namespace.
    func queueStatus() throws -> QueueStatus? {
        try NamespaceThread.run(in: agent) { try QueueStatus.read(queue: Self.queue) }
    }

    /// A guard with a reporter and an in-memory recorder, started inside the agent namespace.
    func startGuard(log: CollectedLog = CollectedLog()) throws
        -> (BypassReporter, InMemoryInterceptRecorder, NetfilterQueueGuard) {
        let recorder = InMemoryInterceptRecorder()
        let reporter = BypassReporter(recorder: recorder, logger: log.logger)
        let guardian = NetfilterQueueGuard(configuration: NetfilterQueueConfiguration(queue: Self.queue),
                                           logger: log.logger, reporter: reporter)
        try NamespaceThread.run(in: agent) { try guardian.start() }
        return (reporter, recorder, guardian)
    }

    // MARK: Traffic

    struct Probe {
        var udpPort: UInt16
        var tcpPort: UInt16
        var tcpResult: String
        var report: String
    }

    /// As `user`, sends one UDP datagram to `destination`:6443, then tries a TCP connect (1.5 s timeout).
    func probe(from source: String, to destination: String, as user: RunAs,
               in namespace: NetworkNamespace? = nil) async throws -> Probe {
        let process = try sender(["probe", source, destination, String(Self.port), "1.5"], as: user,
                                 in: namespace ?? agent)
        let status = try await process.waitForExit(timeout: .seconds(30))
        let lines = process.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        guard status.isSuccess,
              let udp = lines.first(where: { $0.first == "udp" }), udp.count == 4, let udpPort = UInt16(udp[2]),
              let tcp = lines.first(where: { $0.first == "tcp" }), tcp.count == 4, let tcpPort = UInt16(tcp[2]) else {
            throw HarnessError("the probe failed\n\(process.report)")
        }
        return Probe(udpPort: udpPort, tcpPort: tcpPort, tcpResult: tcp[3], report: process.report)
    }

    struct Flood {
        var sent: Int
        var report: String
    }

    /// As uid/gid 64991, sends `count` UDP datagrams from one socket as fast as it can.
    func flood(from source: String, to destination: String, count: Int) async throws -> Flood {
        let process = try sender(["flood", source, destination, String(Self.port), String(count)],
                                 as: RunAs(uid: 64991, gid: 64991))
        let status = try await process.waitForExit(timeout: .seconds(60))
        guard status.isSuccess,
              let line = process.standardOutput.split(separator: "\n").first(where: { $0.hasPrefix("flood ") }),
              let sent = Int(line.split(separator: " ")[3]) else {
            throw HarnessError("the flood failed\n\(process.report)")
        }
        return Flood(sent: sent, report: process.report)
    }

    private func sender(_ arguments: [String], as user: RunAs, in namespace: NetworkNamespace? = nil) throws -> ChildProcess {
        try (namespace ?? agent).launch(Self.python, ["-c", Self.senderScript] + arguments,
                         options: LaunchOptions(runAs: user, environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"],
                                                workingDirectory: "/", label: "sender \(arguments.prefix(3).joined(separator: " "))"))
    }

    /// The positive control: UDP and TCP from the agent to the unguarded address arrive, so the
    /// receiver works and silence on the guarded address means a drop.
    func expectOpenPathWorks(_ family: AddressFamily) async throws {
        let addresses = Self.addresses(family)
        let probe = try await probe(from: addresses.agent, to: addresses.open, as: RunAs(uid: 64991, gid: 64991))
        #expect(probe.tcpResult == "connected", "\(probe.report)")
        try await receiver.waitForLine(containing: "udp \(addresses.open) \(addresses.agent) \(probe.udpPort)", timeout: .seconds(10))
    }

    /// What the receiver got at `address` ("udp ADDR PEER PORT" / "tcp ADDR PEER PORT" lines).
    func received(at address: String) -> [String] {
        receiver.snapshot.lines(in: .standardOutput).filter { $0.split(separator: " ").dropFirst().first.map(String.init) == address }
    }

    // MARK: Waiting

    static func attempts(_ recorder: InMemoryInterceptRecorder) -> [BypassAttempt] {
        recorder.events.compactMap { event in
            if case .bypassAttempt(let attempt) = event { return attempt }
            return nil
        }
    }

    /// Waits until the recorder has `count` attempts (the reporter delivers them on its own queue).
    func waitForAttempts(_ recorder: InMemoryInterceptRecorder, _ reporter: BypassReporter,
                         count: Int) async throws -> [BypassAttempt] {
        try await Self.waitUntil("\(count) recorded attempts") {
            reporter.flush()
            return Self.attempts(recorder).count >= count
        }
        return Self.attempts(recorder)
    }

    /// Waits until the reporter has seen every packet the rule queued (at least `atLeast`), and returns that count.
    func waitForRuleCount(_ family: AddressFamily, reporter: BypassReporter, atLeast: Int = 1) async throws -> Int {
        var packets = 0
        try await Self.waitUntil("the reporter to catch up with the rule counter") {
            packets = try rulePackets(family)
            return packets >= atLeast && reporter.totalDropped >= packets
        }
        return packets
    }

    func waitForQueue(_ condition: @escaping (QueueStatus) -> Bool) async throws -> QueueStatus {
        var last: QueueStatus?
        try await Self.waitUntil("the queue to reach the expected state (last: \(String(describing: last)))") {
            last = try queueStatus()
            return last.map(condition) ?? false
        }
        return try #require(last)
    }

    /// Polls `condition` every 10 ms for up to `timeout`: the kernel and the reporter have no
    /// notification to wait on.
    static func waitUntil(_ what: @autoclosure () -> String, timeout: Duration = .seconds(15),
                          _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError("timed out after \(timeout) waiting for \(what())") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Scripts

    /// Listens on UDP and TCP port 6443 of each address given; prints `udp|tcp ADDR PEER PEERPORT` per datagram or connection.
    static let receiverScript = """
        import select, socket, sys
        sockets = {}
        for address in sys.argv[1:]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            for kind, type_ in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
                s = socket.socket(family, type_)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((address, 6443))
                if kind == "tcp":
                    s.listen(128)
                sockets[s] = (kind, address)
        print("ready", flush=True)
        while True:
            readable, _, _ = select.select(list(sockets), [], [])
            for s in readable:
                kind, address = sockets[s]
                if kind == "udp":
                    _, peer = s.recvfrom(65535)
                else:
                    connection, peer = s.accept()
                    connection.close()
                print(kind, address, peer[0], peer[1], flush=True)
        """

    /// `probe SRC DST PORT TIMEOUT`: one UDP datagram, then a TCP connect; prints `udp SRC PORT sent`
    /// and `tcp SRC PORT connected|timeout|error-X`. `flood SRC DST PORT COUNT`: COUNT datagrams from
    /// one socket; prints `flood SRC PORT SENT FAILED`.
    static let senderScript = """
        import errno, socket, sys
        mode, source, destination, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        family = socket.AF_INET6 if ":" in destination else socket.AF_INET
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((source, 0))
        if mode == "probe":
            udp.sendto(b"portcullis-probe", (destination, port))
            print("udp", source, udp.getsockname()[1], "sent", flush=True)
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.bind((source, 0))
            tcp.settimeout(float(sys.argv[5]))
            try:
                tcp.connect((destination, port))
                result = "connected"
            except socket.timeout:
                result = "timeout"
            except OSError as e:
                result = "error-" + errno.errorcode.get(e.errno, str(e.errno))
            print("tcp", source, tcp.getsockname()[1], result, flush=True)
        else:
            sent = failed = 0
            for _ in range(int(sys.argv[5])):
                try:
                    udp.sendto(b"f", (destination, port))
                    sent += 1
                except OSError:
                    failed += 1
            print("flood", source, udp.getsockname()[1], sent, failed, flush=True)
        """
}

/// Drops a capability from the calling thread's effective set (capset(2) is per thread).
enum ThreadCapabilities {
    private typealias CapCall = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32

    static func dropEffective(bit: Int) throws {
        guard let getSymbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "capget"),
              let setSymbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "capset") else {
            throw HarnessError("capget/capset are not available in this C library")
        }
        let capget = unsafeBitCast(getSymbol, to: CapCall.self)
        let capset = unsafeBitCast(setSymbol, to: CapCall.self)
        // _LINUX_CAPABILITY_VERSION_3, pid 0 (this thread); two {effective, permitted, inheritable} words.
        var header: (UInt32, Int32) = (0x2008_0522, 0)
        var data: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0)
        guard capget(&header, &data) == 0 else { throw HarnessError("capget failed: \(String(cString: strerror(errno)))") }
        precondition(bit < 32)
        data.0 &= ~(UInt32(1) << UInt32(bit))
        guard capset(&header, &data) == 0 else { throw HarnessError("capset failed: \(String(cString: strerror(errno)))") }
    }
}
