import Foundation
import Testing

@testable import Intercept

/// The /proc half of attribution, against this test process's own sockets.
@Suite struct AttributionProcessLookupTests {
    /// What /proc says about this process, read independently of ProcessLookup.
    static func expectedSelf() throws -> (executable: String, commandLine: [String], cgroup: String?, containerID: String?) {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let raw = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/cmdline"))
        var arguments = raw.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if raw.last == 0 { arguments.removeLast() }
        let cgroupText = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        let cgroup = cgroupText.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        return (executable, arguments, cgroup, ProcessLookup.containerID(inCgroupFile: cgroupText))
    }

    @Test("a socket's inode leads to this process, its executable, command line and cgroup",
          arguments: [0, 8])
    func findsThisProcess(remembered: Int) throws {
        let listener = try TestSocket.listen("127.0.0.1")
        let client = try TestSocket.connectTCP(to: "127.0.0.1", port: try listener.localEndpoint.port)
        let lookup = ProcessLookup(rememberedProcesses: remembered, scanOtherOwners: false)

        #expect(lookup.pid(owningSocketInode: try client.inode, uid: getuid()) == getpid())
        let process = try #require(lookup.process(owningSocketInode: try client.inode, uid: getuid()))
        let expected = try Self.expectedSelf()
        #expect(process.pid == getpid())
        #expect(process.executable == expected.executable)
        #expect(process.commandLine == expected.commandLine)
        #expect(process.commandLine == CommandLine.arguments)
        #expect(process.cgroup == expected.cgroup)
        #expect(process.containerID == expected.containerID)
    }

    @Test("a socket a child inherited is attributed to the parent that made it", arguments: [0, 8])
    func inheritedSocket(remembered: Int) throws {
        let listener = try TestSocket.listen("127.0.0.1")
        let client = try TestSocket.connectTCP(to: "127.0.0.1", port: try listener.localEndpoint.port)
        let inheritable = dup(client.descriptor)  // without FD_CLOEXEC: the child keeps it across exec
        #expect(inheritable >= 0)
        defer { close(inheritable) }
        var child: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { arguments.forEach { free($0) } }
        #expect(posix_spawn(&child, "/bin/sleep", nil, nil, arguments, environ) == 0)
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        // Wait until the child has exec'd sleep and so holds only what it inherited.
        for _ in 0..<500 {
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/exe"),
               exe.hasSuffix("/sleep") { break }
            usleep(2_000)
        }
        let childLinks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child)/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child)/fd/\($0)")
        }
        let inode = try client.inode
        #expect(childLinks.contains("socket:[\(inode)]"), "the child must hold the socket for this test to mean anything")

        let lookup = ProcessLookup(rememberedProcesses: remembered, scanOtherOwners: false)
        #expect(lookup.pid(owningSocketInode: inode, uid: getuid()) == getpid())
    }

    @Test("an inode nobody holds gives nil, with and without the scan of other owners")
    func unknownInode() throws {
        // Inodes of a closed socket are not reused at once: this one is held by nobody.
        let closed = try TestSocket.listen("127.0.0.1").inode
        #expect(ProcessLookup(scanOtherOwners: false).pid(owningSocketInode: closed, uid: getuid()) == nil)
        #expect(ProcessLookup(scanOtherOwners: true).pid(owningSocketInode: closed, uid: getuid()) == nil)
        #expect(ProcessLookup().pid(owningSocketInode: 0, uid: getuid()) == nil)
    }

    @Test("a uid that owns no process finds nothing without the fallback scan, and the holder with it")
    func uidFilter() throws {
        let listener = try TestSocket.listen("127.0.0.1")
        let inode = try listener.inode
        let strangerUID: UInt32 = 3_999_999  // owns no process here
        #expect(ProcessLookup(rememberedProcesses: 0, scanOtherOwners: false).pid(owningSocketInode: inode, uid: strangerUID) == nil)
        #expect(ProcessLookup(rememberedProcesses: 0, scanOtherOwners: true).pid(owningSocketInode: inode, uid: strangerUID) == getpid())
    }

    @Test("a process that does not exist is described as nil")
    func vanishedProcess() {
        #expect(ProcessLookup().describe(pid: Int32.max) == nil)
        #expect(ProcessLookup(procRoot: "/nonexistent").describe(pid: getpid()) == nil)
    }

    @Test("cmdline splits at NULs", arguments: [
        ([UInt8]("kubectl\0get\0pods\0".utf8), ["kubectl", "get", "pods"]),
        ([UInt8]("a\0\0b\0".utf8), ["a", "", "b"]),
        ([UInt8]("no-trailing\0nul".utf8), ["no-trailing", "nul"]),
        ([], []),
    ])
    func commandLine(_ bytes: [UInt8], _ expected: [String]) {
        #expect(ProcessLookup.commandLine(from: bytes) == expected)
    }

    @Test("the unified cgroup is the 0:: line")
    func unifiedCgroup() {
        #expect(ProcessLookup.unifiedCgroup(in: "0::/system.slice/docker-ab.scope\n") == "/system.slice/docker-ab.scope")
        #expect(ProcessLookup.unifiedCgroup(in: "12:pids:/docker/x\n1:name=systemd:/a\n0::/\n") == "/")
        #expect(ProcessLookup.unifiedCgroup(in: "12:pids:/docker/x\n") == nil)
        #expect(ProcessLookup.unifiedCgroup(in: "") == nil)
    }
}

@Suite struct AttributionContainerIDTests {
    @Test("the container id of a whole /proc/PID/cgroup file: unified first, else a v1 controller path")
    func cgroupFile() {
        let id = Self.id, other = Self.other
        #expect(ProcessLookup.containerID(inCgroupFile: "0::/system.slice/docker-\(id).scope\n") == id)
        #expect(ProcessLookup.containerID(inCgroupFile: "12:pids:/docker/\(id)\n11:memory:/docker/\(id)\n1:name=systemd:/docker/\(id)\n0::/\n") == id)
        #expect(ProcessLookup.containerID(inCgroupFile: "4:memory:/docker/\(other)\n0::/kubepods/besteffort/podx/\(id)\n") == id)
        #expect(ProcessLookup.containerID(inCgroupFile: "0::/user.slice/user-1000.slice/session-3.scope\n") == nil)
        #expect(ProcessLookup.containerID(inCgroupFile: "") == nil)
    }

    static let id = String(repeating: "0123456789abcdef", count: 4)
    static let other = String(repeating: "fedcba9876543210", count: 4)

    @Test("container ids in cgroup paths", arguments: [
        ("/system.slice/docker-\(id).scope", id),                                                        // Docker, systemd driver
        ("/docker/\(id)", id),                                                                            // Docker, cgroupfs driver
        ("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/cri-containerd-\(id).scope", id),
        ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e.slice/crio-\(id).scope", id),   // CRI-O
        ("/machine.slice/libpod-\(id).scope/container", id),                                              // Podman
        ("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope", id),              // rootless Podman
        ("/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/\(id)", id),                       // kubelet, cgroupfs
        ("/docker/\(other)/docker/\(id)", id),                                                            // nested: innermost
        ("/user.slice/user-1000.slice/session-3.scope", nil),
        ("/", nil),
        ("/system.slice/docker-\(id.dropLast()).scope", nil),                                             // 63 digits
        ("/system.slice/docker-\(id)0.scope", nil),                                                       // 65 digits
        ("/system.slice/docker-\(id.uppercased()).scope", nil),                                           // not lowercase
        ("/system.slice/docker-\(id)x.scope", nil),                                                       // glued to a letter
    ] as [(String, String?)])
    func containerID(_ cgroup: String, _ expected: String?) {
        #expect(ContainerID.find(inCgroup: cgroup) == expected)
    }
}
