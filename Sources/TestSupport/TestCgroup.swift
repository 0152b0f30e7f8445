import Foundation
import Synchronization

/// A cgroup v2 group the test makes, as a container runtime or systemd would, for an agent to run
/// in (``LaunchOptions/cgroup``): `<hierarchy>/pcl-<pid>-<n>/<path>`, e.g.
/// `…/pcl-4242-0/system.slice/docker-<64 hex>.scope`. Needs root.
///
/// Invariants:
/// - The hierarchy is found the way the gateway finds it, from `/proc/self/mountinfo` (read here
///   independently): `/sys/fs/cgroup` on unified hosts, `/sys/fs/cgroup/unified` on hybrid ones.
/// - Registered with ``CleanupRegistry/shared`` from creation until ``remove()``, which kills
///   whatever still runs inside (`cgroup.kill`) and removes the directories, deepest first; the
///   owner pid in the top directory's name lets ``StaleResourceSweep`` remove a crashed run's.
public final class TestCgroup: Sendable, CustomStringConvertible {
    /// The directory to run processes in.
    public let directory: String
    /// Its path in the hierarchy, as `/proc/PID/cgroup` and sock_diag's id name it: `/pcl-4242-0/system.slice/…`.
    public let path: String
    /// The top directory the test made (`<hierarchy>/pcl-<pid>-<n>`).
    let top: String
    private let cleanupToken: CleanupToken

    private init(directory: String, path: String, top: String, cleanupToken: CleanupToken) {
        self.directory = directory
        self.path = path
        self.top = top
        self.cleanupToken = cleanupToken
    }

    public var description: String { path }

    private static let counter = Mutex(0)

    /// The cgroup2 mount point of this process's mount namespace.
    public static func hierarchy() throws -> String {
        let text = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields[dash + 1] == "cgroup2", fields.count > 4 {
                return String(fields[4])
            }
        }
        throw HarnessError("no cgroup2 hierarchy is mounted (see /proc/self/mountinfo): the attribution tests need cgroup v2")
    }

    /// Makes `<hierarchy>/pcl-<pid>-<n>/<relative>` (e.g. `system.slice/actions-runner.service`).
    public static func create(_ relative: String) throws -> TestCgroup {
        try Privileges.requireRoot()
        StaleResourceSweep.runOnce()
        let root = try hierarchy()
        let n = counter.withLock { value in
            defer { value += 1 }
            return value
        }
        let name = "\(NamespaceName.prefix)-\(getpid())-\(n)"
        let top = root + "/" + name
        let token = CleanupRegistry.shared.register("cgroup \(top)") { destroy(top) }
        let directory = top + "/" + relative
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            CleanupRegistry.shared.runNow(token)
            throw HarnessError("cannot create the cgroup \(directory): \(error)")
        }
        return TestCgroup(directory: directory, path: "/" + name + "/" + relative, top: top, cleanupToken: token)
    }

    /// Kills what runs inside and removes the directories. Idempotent.
    public func remove() {
        CleanupRegistry.shared.runNow(cleanupToken)
    }

    /// Kills every process below `top` and removes its directories, deepest first. Never throws.
    static func destroy(_ top: String) {
        guard FileManager.default.fileExists(atPath: top) else { return }
        try? "1".write(toFile: top + "/cgroup.kill", atomically: false, encoding: .utf8)
        var directories = [top]
        if let found = FileManager.default.enumerator(atPath: top) {
            for case let relative as String in found {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: top + "/" + relative, isDirectory: &isDirectory), isDirectory.boolValue {
                    directories.append(top + "/" + relative)
                }
            }
        }
        // A killed process leaves its cgroup once the kernel has torn it down; rmdir fails with
        // EBUSY until then, and there is no notification for processes that are not our children.
        for directory in directories.sorted(by: { $0.count > $1.count }) {
            for _ in 0..<100 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Removes the top directories of test processes that are gone.
    static func sweep() {
        guard let root = try? hierarchy(), let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for entry in entries {
            let parts = entry.split(separator: "-")
            guard parts.count == 3, parts[0] == NamespaceName.prefix, let pid = Int32(parts[1]), StaleResourceSweep.isDead(pid) else { continue }
            destroy(root + "/" + entry)
        }
    }
}
