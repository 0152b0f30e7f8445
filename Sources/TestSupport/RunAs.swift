/// Another user to run a child process as, through `setpriv --reuid UID --regid GID --clear-groups`,
/// optionally keeping some capabilities as ambient ones (as a systemd unit's AmbientCapabilities do).
public struct RunAs: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    /// Capability names without the `cap_` prefix, e.g. `net_admin`.
    public var ambientCapabilities: [String]
    /// `--no-new-privs`, as a systemd unit's NoNewPrivileges=yes.
    public var noNewPrivileges: Bool

    public init(uid: UInt32, gid: UInt32, ambientCapabilities: [String] = [], noNewPrivileges: Bool = false) {
        self.uid = uid
        self.gid = gid
        self.ambientCapabilities = ambientCapabilities
        self.noNewPrivileges = noNewPrivileges
    }

    /// The gateway as its systemd unit runs it (scripts/systemd/portcullis.service): its own uid,
    /// with only CAP_NET_ADMIN and CAP_NET_RAW, and no way to gain more.
    public static func gateway(uid: UInt32) -> RunAs {
        RunAs(uid: uid, gid: uid, ambientCapabilities: ["net_admin", "net_raw"], noNewPrivileges: true)
    }

    /// The `setpriv` arguments that precede the command (`setpriv` itself excluded).
    var setprivArguments: [String] {
        var arguments = ["--reuid", String(uid), "--regid", String(gid), "--clear-groups"]
        if !ambientCapabilities.isEmpty {
            let caps = ambientCapabilities.map { "+" + $0 }.joined(separator: ",")
            arguments += ["--inh-caps", caps, "--ambient-caps", caps, "--bounding-set", "-all," + caps]
        }
        if noNewPrivileges { arguments.append("--no-new-privs") }
        return arguments + ["--"]
    }
}
