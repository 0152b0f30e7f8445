/// Where the cgroup v2 (unified) hierarchy is mounted, as `/proc/self/mountinfo` says: at
/// `/sys/fs/cgroup` on unified hosts, at `/sys/fs/cgroup/unified` on hybrid ones.
///
/// Invariants:
/// - Found from the mount table of the gateway's own mount namespace, never from a guessed path: a
///   process started by `ip netns exec` gets a fresh `/sys` without any cgroup mount, and then there
///   is no hierarchy (nil), not a wrong one.
/// - `root` is the mount's root within the hierarchy (field 4 of mountinfo: `/` unless the gateway
///   runs in a cgroup namespace or the mount is a bind mount of a subtree). Paths below
///   ``mountPoint`` are reported with it in front, as `/proc/PID/cgroup` names them.
public struct CgroupHierarchy: Sendable, Hashable {
    /// The directory the hierarchy is mounted on.
    public var mountPoint: String
    /// The hierarchy path of ``mountPoint`` (`/` for a mount of the whole hierarchy).
    public var root: String

    public init(mountPoint: String, root: String = "/") {
        self.mountPoint = mountPoint
        self.root = root
    }

    /// The cgroup2 mount of the calling process's mount namespace; nil when there is none or
    /// `/proc/self/mountinfo` cannot be read.
    public static func find(mountInfoPath: String = "/proc/self/mountinfo") -> CgroupHierarchy? {
        guard let bytes = ProcFiles.read(mountInfoPath) else { return nil }
        return parse(mountInfo: String(decoding: bytes, as: UTF8.self))
    }

    /// The first `cgroup2` mount in the text of a mountinfo file (proc(5)):
    /// `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS`.
    public static func parse(mountInfo text: String) -> CgroupHierarchy? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 1 < fields.count,
                  fields[dash + 1] == "cgroup2" else { continue }
            return CgroupHierarchy(mountPoint: unescape(fields[4]), root: unescape(fields[3]))
        }
        return nil
    }

    /// The hierarchy path of a directory `relative` to ``mountPoint`` (`""` for the mount point).
    public func hierarchyPath(relative: String) -> String {
        let base = root == "/" ? "" : root
        let path = base + (relative.isEmpty ? "" : "/" + relative)
        return path.isEmpty ? "/" : path
    }

    /// mountinfo writes space, tab, newline and backslash as `\040`, `\011`, `\012` and `\134`.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
               let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
