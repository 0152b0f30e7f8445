import Glibc
import Testing

@testable import Intercept

/// CallerAttribution end to end on loopback: sock_diag, then /proc. Needs no privileges.
@Suite struct AttributionCallerTests {
    @Test("a local TCP client is attributed to our uid and this process", arguments: ["127.0.0.1", "::1"])
    func localTCP(_ loopback: String) throws {
        let listener = try TestSocket.listen(loopback)
        let server = try listener.localEndpoint
        let client = try TestSocket.connectTCP(to: loopback, port: server.port)
        let accepted = try listener.accept()
        let attribution = try CallerAttribution()

        // The gateway's view: the accepted socket's peer is the client; the destination is where it dialled.
        let caller = attribution.local(flow: .between(.tcp, try accepted.peerEndpoint, server))
        #expect(caller.uid == getuid())
        #expect(caller.gid == nil)
        #expect(caller.sourceAddress == IPAddress(loopback))
        #expect(caller.interface == nil)
        let process = try #require(caller.process)
        let expected = try AttributionProcessLookupTests.expectedSelf()
        #expect(process == CallerProcess(pid: getpid(), executable: expected.executable, commandLine: expected.commandLine,
                                         cgroup: expected.cgroup, containerID: expected.containerID))
        // sock_diag's cgroup id is the inode of our cgroup's directory; its path is /proc's.
        if let hierarchy = CgroupHierarchy.find(), let own = expected.cgroup {
            var info = stat()
            #expect(stat(hierarchy.mountPoint + (own == "/" ? "" : own), &info) == 0)
            #expect(caller.cgroup == CallerCgroup(id: UInt64(info.st_ino), path: own))
        }
        _ = client
    }

    @Test("a local UDP sender is attributed too", arguments: ["127.0.0.1", "::1"])
    func localUDP(_ loopback: String) throws {
        let server = try TestSocket.boundUDP(loopback)
        let client = try TestSocket.connectedUDP(to: loopback, port: try server.localEndpoint.port)
        let caller = try CallerAttribution().local(flow: .between(.udp, try client.localEndpoint, try server.localEndpoint))
        #expect(caller.uid == getuid())
        #expect(caller.process?.pid == getpid())
        #expect(caller.sourceAddress == IPAddress(loopback))
    }

    @Test("a flow without a local socket yields only its source address")
    func unknownFlow() throws {
        let freePort = try TestSocket.listen("127.0.0.1").localEndpoint.port  // closed again at once
        let flow = Flow.between(.tcp, .literal("127.0.0.1", freePort), .literal("127.0.0.1", 9))
        #expect(try CallerAttribution().local(flow: flow) == Caller(sourceAddress: .v4(127, 0, 0, 1)))
    }

    @Test("a forwarded caller is its source address and interface")
    func forwarded() throws {
        let nowhere = BridgeContainers(cniNetworks: "/nonexistent/cni", dockerContainers: "/nonexistent/docker")
        let caller = try CallerAttribution(bridges: nowhere).forwarded(source: .v4(172, 17, 0, 5), interface: "docker0")
        #expect(caller == Caller(sourceAddress: .v4(172, 17, 0, 5), interface: "docker0"))
    }

    @Test("the interface owning a local address")
    func interfaceOwningAddress() throws {
        #expect(CallerAttribution.interface(owning: .v4(127, 0, 0, 1)) == "lo")
        #expect(CallerAttribution.interface(owning: try #require(IPAddress("::1"))) == "lo")
        #expect(CallerAttribution.interface(owning: try #require(IPAddress("::ffff:127.0.0.1"))) == "lo")
        #expect(CallerAttribution.interface(owning: .v4(203, 0, 113, 77)) == nil)
    }
}

/// Prints what a local attribution costs; the targets are checked by scripts/bench.sh, not here.
@Suite struct AttributionTimingTests {
    static func percentile(_ samples: [Duration], _ fraction: Double) -> Duration {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func microseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
        return String(Int(value.rounded())) + " µs"
    }

    @Test("CallerAttribution.local: p50 and p90 (printed)")
    func measureLocal() throws {
        let listener = try TestSocket.listen("127.0.0.1")
        let server = try listener.localEndpoint
        let client = try TestSocket.connectTCP(to: "127.0.0.1", port: server.port)
        let flow = Flow.between(.tcp, try client.localEndpoint, server)
        let clock = ContinuousClock()
        for (label, processes) in [("warm (remembered holder)", ProcessLookup()),
                                   ("cold (uid scan every time)", ProcessLookup(rememberedProcesses: 0))] {
            let attribution = try CallerAttribution(processes: processes)
            var samples: [Duration] = []
            for _ in 0..<300 {
                var caller: Caller?
                samples.append(clock.measure { caller = attribution.local(flow: flow) })
                #expect(caller?.process?.pid == getpid())
            }
            let diagnostics = try SocketDiagnostics()
            var diagSamples: [Duration] = []
            for _ in 0..<300 { diagSamples.append(clock.measure { _ = try? diagnostics.socket(of: flow) }) }
            print("CallerAttribution.local \(label): p50 \(Self.microseconds(Self.percentile(samples, 0.5))), "
                + "p90 \(Self.microseconds(Self.percentile(samples, 0.9))); sock_diag alone p50 "
                + "\(Self.microseconds(Self.percentile(diagSamples, 0.5))); \(ProcCount.processes) processes")
        }
    }
}

private enum ProcCount {
    /// How many processes /proc lists, for context in the printed numbers.
    static var processes: Int {
        var count = 0
        ProcFiles.forEachEntry(in: "/proc") { name in
            if ProcFiles.number(name) != nil { count += 1 }
            return true
        }
        return count
    }
}
