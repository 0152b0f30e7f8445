import Foundation

/// A size-limited tmpfs mounted for one test, so a test can fill a real file system (ENOSPC) under
/// a running gateway and free it again.
///
/// Invariants:
/// - It is unmounted (lazily, so open files do not block it) by ``unmount()``, or by the cleanup
///   registry on interrupt or exit; the mount point itself is a directory the test owns.
/// - ``fill()`` writes one filler file until the file system is full; ``free()`` deletes it.
public final class TmpfsMount: Sendable {
    public let path: String
    private let cleanupToken: CleanupToken

    private init(path: String, cleanupToken: CleanupToken) {
        self.path = path
        self.cleanupToken = cleanupToken
    }

    /// Mounts a tmpfs of `bytes` at `path` (an existing, empty directory), owned by `owner`, mode 700.
    public static func mount(at path: String, bytes: Int, owner uid: UInt32) throws -> TmpfsMount {
        try Privileges.requireRoot()
        let token = CleanupRegistry.shared.register("tmpfs \(path)") {
            _ = try? HostCommand.run("/usr/bin/umount", ["--lazy", path])
        }
        let mount = TmpfsMount(path: path, cleanupToken: token)
        do {
            try HostCommand.check("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0700,uid=\(uid),gid=\(uid)", "tmpfs", path])
        } catch {
            mount.unmount()
            throw error
        }
        return mount
    }

    private var fillerPath: String { path + "/filler" }

    /// Fills the file system: after this, any write that needs a new block fails with ENOSPC.
    public func fill() throws {
        let result = try HostCommand.run("/usr/bin/dd", ["if=/dev/zero", "of=\(fillerPath)", "bs=64k"], timeout: .seconds(60))
        guard result.standardError.contains("No space left on device") else {
            throw HarnessError("dd did not fill \(path): \(result.standardError)")
        }
    }

    /// Frees what ``fill()`` took.
    public func free() throws {
        try FileManager.default.removeItem(atPath: fillerPath)
    }

    /// Unmounts it. Idempotent.
    public func unmount() {
        CleanupRegistry.shared.runNow(cleanupToken)
    }
}
