import Glibc
import Synchronization

/// Turns cgroup v2 ids (what sock_diag reports for a socket) into hierarchy paths
/// (`/system.slice/actions-runner.service`), without privileges: a cgroup's id is the inode number
/// of its directory, which `readdir` gives for every entry (`d_ino`), so one walk of the hierarchy
/// maps every id to its path. Directories of the hierarchy are world-readable.
///
/// Invariants:
/// - A known id costs one dictionary lookup under a mutex; only an id never seen before walks the
///   hierarchy (a few microseconds per cgroup), and each walk replaces the whole map with what
///   exists now, so the map holds live cgroups only and its size is bounded by the host's.
/// - Cgroup ids are never reused within a boot. An id a fresh walk does not find belonged to a
///   cgroup that is gone for good: it is remembered as missing (up to ``missingLimit`` ids) and
///   never walked for again.
/// - At most ``walksPerSecond`` walks run per second, so that a caller creating cgroups in a
///   delegated subtree cannot make every connection walk the tree; an id over that budget is
///   answered nil (the id itself is still recorded by the caller).
/// - A renamed cgroup keeps its id: its old path is reported until a walk for another id.
public final class CgroupPaths: Sendable {
    public let hierarchy: CgroupHierarchy?
    public static let walksPerSecond = 20
    public static let missingLimit = 4096
    /// Walks stop after this many directories: a host with more cgroups than that is reported
    /// partially rather than blocking.
    public static let directoryLimit = 100_000

    private struct State {
        var paths: [UInt64: String] = [:]
        var missing: Set<UInt64> = []
        var walkTimes: [ContinuousClock.Instant] = []
        var walks = 0
    }

    private let state = Mutex(State())

    /// Paths in `hierarchy`; with nil, every lookup answers nil.
    public init(hierarchy: CgroupHierarchy?) {
        self.hierarchy = hierarchy
    }

    /// In the hierarchy this process sees (``CgroupHierarchy/find(mountInfoPath:)``).
    public convenience init() {
        self.init(hierarchy: CgroupHierarchy.find())
    }

    /// How many walks ran so far (for tests and the status report).
    public var walkCount: Int { state.withLock { $0.walks } }

    /// The hierarchy path of cgroup `id`, or nil when it cannot be found (gone, no hierarchy, or
    /// over the walk budget).
    public func path(of id: UInt64) -> String? {
        guard let hierarchy else { return nil }
        let now = ContinuousClock.now
        let mayWalk = state.withLock { state -> Bool? in
            if state.paths[id] != nil || state.missing.contains(id) { return nil }
            state.walkTimes.removeAll { now - $0 > .seconds(1) }
            guard state.walkTimes.count < Self.walksPerSecond else { return false }
            state.walkTimes.append(now)
            state.walks += 1
            return true
        }
        switch mayWalk {
        case nil: return state.withLock { $0.paths[id] }
        case false?: return nil
        case true?: break
        }
        let found = Self.walk(hierarchy)
        return state.withLock { state in
            state.paths = found
            if found[id] == nil {
                if state.missing.count >= Self.missingLimit { state.missing.removeAll() }
                state.missing.insert(id)
            }
            return found[id]
        }
    }

    /// Every directory of the hierarchy by inode number, breadth first.
    static func walk(_ hierarchy: CgroupHierarchy) -> [UInt64: String] {
        var found: [UInt64: String] = [:]
        var info = stat()
        guard stat(hierarchy.mountPoint, &info) == 0 else { return found }
        found[UInt64(info.st_ino)] = hierarchy.hierarchyPath(relative: "")
        var queue: [String] = [""]
        var next = 0
        while next < queue.count, found.count < directoryLimit {
            let relative = queue[next]
            next += 1
            let directory = relative.isEmpty ? hierarchy.mountPoint : hierarchy.mountPoint + "/" + relative
            forEachSubdirectory(of: directory) { name, inode in
                let child = relative.isEmpty ? name : relative + "/" + name
                found[inode] = hierarchy.hierarchyPath(relative: child)
                queue.append(child)
            }
        }
        return found
    }

    /// Calls `body` with the name and inode of each subdirectory (kernfs gives every entry's type).
    private static func forEachSubdirectory(of directory: String, _ body: (String, UInt64) -> Void) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let inode = UInt64(entry.pointee.d_ino)
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> String in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<length]), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            body(name, inode)
        }
    }
}
