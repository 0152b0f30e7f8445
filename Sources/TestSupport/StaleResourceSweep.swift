import Foundation
import Synchronization

/// Removes what earlier test processes left behind when they were killed too hard to clean up
/// (SIGKILL, a crash): namespaces named `pcl-<pid>-...`, temporary directories and cgroups
/// (``TestCgroup``) named `pcl-<pid>-...` whose owner pid is no longer alive.
///
/// Runs once per process, before its first namespace is created; concurrent callers wait for it.
/// Resources of live processes (another test run, a running demo) are never touched.
public enum StaleResourceSweep {
    private static let done = Mutex(false)

    /// Runs the sweep unless this process already has.
    public static func runOnce() {
        done.withLock { done in
            guard !done else { return }
            done = true
            run()
        }
    }

    /// Runs the sweep now, whether or not it ran before.
    public static func run() {
        sweepNamespaces()
        sweepTemporaryDirectories()
        TestCgroup.sweep()
    }

    /// True when no process with `pid` exists (a pid we may not signal still exists).
    public static func isDead(_ pid: Int32) -> Bool {
        kill(pid, 0) != 0 && errno == ESRCH
    }

    static func sweepNamespaces() {
        for name in NetworkNamespace.allNames() {
            guard let parsed = NamespaceName(parsing: name), isDead(parsed.ownerPID) else { continue }
            NetworkNamespace.destroy(named: name)
        }
    }

    static func sweepTemporaryDirectories() {
        let base = TemporaryDirectory.baseDirectory
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for entry in entries {
            guard let pid = TemporaryDirectory.ownerPID(ofName: entry), isDead(pid) else { continue }
            try? FileManager.default.removeItem(atPath: base + "/" + entry)
        }
    }
}
