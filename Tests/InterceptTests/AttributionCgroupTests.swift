import Foundation
import Glibc
import Testing
import TestSupport

@testable import Intercept

/// Cgroup v2 attribution without privileges: finding the hierarchy, naming what a path says
/// (unit, container, pod), turning ids into paths by a walk, and bridged containers' ids from the
/// runtimes' state. Pure or on temporary directories; the real kernel's ids are checked end to end.
@Suite struct AttributionCgroupTests {
    static let id = String(repeating: "0123456789abcdef", count: 4)

    @Test("the cgroup2 mount is found in mountinfo: hybrid, unified, escaped, none")
    func hierarchyFromMountInfo() {
        let hybrid = """
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        #expect(CgroupHierarchy.parse(mountInfo: hybrid) == CgroupHierarchy(mountPoint: "/sys/fs/cgroup/unified"))
        let unified = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"
        #expect(CgroupHierarchy.parse(mountInfo: unified) == CgroupHierarchy(mountPoint: "/sys/fs/cgroup"))
        let escaped = #"52 51 0:38 /ci\040jobs /mnt/cgroup\040v2 rw - cgroup2 cgroup2 rw"#
        let found = CgroupHierarchy.parse(mountInfo: escaped)
        #expect(found == CgroupHierarchy(mountPoint: "/mnt/cgroup v2", root: "/ci jobs"))
        #expect(found?.hierarchyPath(relative: "runner.service") == "/ci jobs/runner.service")
        #expect(CgroupHierarchy.parse(mountInfo: "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755") == nil)
        #expect(CgroupHierarchy(mountPoint: "/sys/fs/cgroup").hierarchyPath(relative: "") == "/")
    }

    static let pathCases: [(String, String?, String?, String?)] = [
        ("/system.slice/actions-runner.service", "actions-runner.service", nil, nil),
        ("/user.slice/user-1000.slice/session-4.scope", "session-4.scope", nil, nil),
        ("/system.slice/actions-runner.service/job-17", "actions-runner.service", nil, nil),
        ("/system.slice/docker-\(id).scope", "docker-\(id).scope", "docker:\(id)", nil),
        ("/docker/\(id)", nil, "docker:\(id)", nil),
        ("/system.slice/containerd.service/kubepods-besteffort-pod0b9d6a6e_1111_4c2e_9a53_3a1f0e2d7c11.slice:cri-containerd:\(id)",
         "containerd.service", "containerd:\(id)", "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11"),
        ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b9d6a6e_1111_4c2e_9a53_3a1f0e2d7c11.slice/cri-containerd-\(id).scope",
         "cri-containerd-\(id).scope", "containerd:\(id)", "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11"),
        ("/kubepods/besteffort/pod0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11/\(id)", nil, "cri:\(id)", "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11"),
        ("/machine.slice/libpod-\(id).scope/container", "libpod-\(id).scope", "podman:\(id)", nil),
        ("/kubepods.slice/kubepods-pod0b9d6a6e_1111_4c2e_9a53_3a1f0e2d7c11.slice/crio-\(id).scope", "crio-\(id).scope", "cri-o:\(id)",
         "0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11"),
        ("/", nil, nil, nil),
        ("/system.slice/not-a-pod0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11.service", "not-a-pod0b9d6a6e-1111-4c2e-9a53-3a1f0e2d7c11.service", nil, nil),
    ]

    @Test("units, containers and pods named by cgroup paths", arguments: pathCases)
    func pathNames(_ path: String, _ unit: String?, _ container: String?, _ pod: String?) {
        let facts = CallerCgroup(id: 1, path: path)
        #expect(facts.unit == unit)
        #expect(facts.container.map { "\($0.runtime):\($0.id)" } == container)
        #expect(facts.podUID == pod)
    }

    @Test("ids become paths by one walk; a known id walks no more, a gone one is remembered as gone")
    func pathsByWalking() throws {
        let root = try TemporaryDirectory.create(purpose: "cgroup-walk")
        defer { root.remove() }
        let unit = root.path("system.slice/actions-runner.service")
        let scope = root.path("system.slice/docker-\(Self.id).scope")
        try FileManager.default.createDirectory(atPath: unit, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scope, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: root.path("system.slice/cgroup.procs"), contents: Data())
        func inode(_ path: String) throws -> UInt64 {
            var info = stat()
            guard stat(path, &info) == 0 else { throw POSIXError(.ENOENT) }
            return UInt64(info.st_ino)
        }
        let paths = CgroupPaths(hierarchy: CgroupHierarchy(mountPoint: root.path))
        #expect(paths.path(of: try inode(unit)) == "/system.slice/actions-runner.service")
        #expect(paths.walkCount == 1)
        #expect(paths.path(of: try inode(scope)) == "/system.slice/docker-\(Self.id).scope")
        #expect(paths.path(of: try inode(root.path)) == "/")
        #expect(paths.walkCount == 1, "every directory was learnt by the first walk")
        let gone = try inode(root.path("system.slice/cgroup.procs"))  // a file: never a cgroup
        #expect(paths.path(of: gone) == nil)
        #expect(paths.path(of: gone) == nil)
        #expect(paths.walkCount == 2, "a missing id is walked for once")
        let later = root.path("system.slice/later.service")
        try FileManager.default.createDirectory(atPath: later, withIntermediateDirectories: true)
        #expect(paths.path(of: try inode(later)) == "/system.slice/later.service", "a new cgroup is found by a new walk")
        #expect(CgroupPaths(hierarchy: nil).path(of: try inode(unit)) == nil)
    }

    @Test("walks are limited per second, so new cgroups cannot make every connection walk the tree")
    func walkBudget() throws {
        let root = try TemporaryDirectory.create(purpose: "cgroup-budget")
        defer { root.remove() }
        let paths = CgroupPaths(hierarchy: CgroupHierarchy(mountPoint: root.path))
        for fake in 1...UInt64(CgroupPaths.walksPerSecond + 5) { _ = paths.path(of: UInt64.max - fake) }
        #expect(paths.walkCount == CgroupPaths.walksPerSecond)
    }

    @Test("bridged containers' ids from CNI's and Docker's state; none without them")
    func bridgeContainers() throws {
        let root = try TemporaryDirectory.create(purpose: "bridge-state")
        defer { root.remove() }
        let network = root.path("cni/networks/cbr0")
        try FileManager.default.createDirectory(atPath: network, withIntermediateDirectories: true)
        try (Self.id + "\neth0").write(toFile: network + "/10.88.0.7", atomically: false, encoding: .utf8)
        try "10.88.0.7".write(toFile: network + "/last_reserved_ip.0", atomically: false, encoding: .utf8)
        try "not-an-id\neth0".write(toFile: network + "/10.88.0.8", atomically: false, encoding: .utf8)
        let dockerID = String(repeating: "fedcba9876543210", count: 4)
        let container = root.path("docker/containers/\(dockerID)")
        try FileManager.default.createDirectory(atPath: container, withIntermediateDirectories: true)
        try #"{"State":{"Running":true},"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.5","GlobalIPv6Address":"fd00::5"}}}}"#
            .write(toFile: container + "/config.v2.json", atomically: false, encoding: .utf8)
        let bridges = BridgeContainers(cniNetworks: root.path("cni/networks"), dockerContainers: root.path("docker/containers"), rescanInterval: .zero,
                                       missRetention: .zero)
        #expect(bridges.container(at: .v4(10, 88, 0, 7)) == CallerContainer(runtime: "cni", id: Self.id))
        #expect(bridges.container(at: .v4(172, 17, 0, 5)) == CallerContainer(runtime: "docker", id: dockerID))
        #expect(bridges.container(at: try #require(IPAddress("fd00::5"))) == CallerContainer(runtime: "docker", id: dockerID))
        #expect(bridges.container(at: try #require(IPAddress("::ffff:172.17.0.5"))) == CallerContainer(runtime: "docker", id: dockerID))
        #expect(bridges.container(at: .v4(10, 88, 0, 8)) == nil)
        #expect(BridgeContainers(cniNetworks: "/nonexistent", dockerContainers: "/nonexistent").container(at: .v4(10, 88, 0, 7)) == nil)
        // An address no scan found is not looked for again for a while: a container started since is found after it.
        let remembering = BridgeContainers(cniNetworks: root.path("cni/networks"), dockerContainers: root.path("docker/containers"),
                                           rescanInterval: .zero, missRetention: .seconds(600))
        #expect(remembering.container(at: .v4(10, 88, 0, 9)) == nil)
        try (Self.id + "\neth0").write(toFile: network + "/10.88.0.9", atomically: false, encoding: .utf8)
        #expect(remembering.container(at: .v4(10, 88, 0, 9)) == nil, "within missRetention")
        #expect(bridges.container(at: .v4(10, 88, 0, 9)) == CallerContainer(runtime: "cni", id: Self.id), "found by a fresh scan")
    }
}
