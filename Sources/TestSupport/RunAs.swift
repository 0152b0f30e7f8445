/// Another user to run a child process as, through `setpriv --reuid UID --regid GID --clear-groups`.
public struct RunAs: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// The `setpriv` arguments that precede the command (`setpriv` itself excluded).
    var setprivArguments: [String] {
        ["--reuid", String(uid), "--regid", String(gid), "--clear-groups", "--"]
    }
}
