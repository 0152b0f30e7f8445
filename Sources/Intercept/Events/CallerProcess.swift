/// The local process behind a socket, as far as /proc tells.
public struct CallerProcess: Sendable, Hashable {
    public var pid: Int32
    /// `/proc/PID/exe`, resolved.
    public var executable: String?
    /// `/proc/PID/cmdline`, split at NULs.
    public var commandLine: [String]
    /// The unified (v2) cgroup path from `/proc/PID/cgroup`.
    public var cgroup: String?
    /// A 64-hex-digit container id found in the cgroup path (Docker, containerd, CRI-O, Podman).
    public var containerID: String?

    public init(pid: Int32, executable: String? = nil, commandLine: [String] = [], cgroup: String? = nil,
                containerID: String? = nil) {
        self.pid = pid
        self.executable = executable
        self.commandLine = commandLine
        self.cgroup = cgroup
        self.containerID = containerID
    }
}

/// Who is behind a connection or packet: a local user, the cgroup its socket was made in and the
/// process, or, for traffic forwarded from a bridge, the source address, the interface it came in
/// on and the container the host's runtime state gives that address.
public struct Caller: Sendable, Hashable {
    public var uid: UInt32?
    public var gid: UInt32?
    public var process: CallerProcess?
    public var sourceAddress: IPAddress?
    public var interface: String?
    /// The socket's cgroup (sock_diag's cgroup id and its path); nil for forwarded callers.
    public var cgroup: CallerCgroup?
    /// The container: from the socket's cgroup path, else the process's, else (forwarded callers)
    /// from the runtime's record of the source address.
    public var container: CallerContainer?

    public init(uid: UInt32? = nil, gid: UInt32? = nil, process: CallerProcess? = nil, sourceAddress: IPAddress? = nil,
                interface: String? = nil, cgroup: CallerCgroup? = nil, container: CallerContainer? = nil) {
        self.uid = uid
        self.gid = gid
        self.process = process
        self.sourceAddress = sourceAddress
        self.interface = interface
        self.cgroup = cgroup
        self.container = container
    }

    /// The cgroup path: the socket's, else the process's.
    public var cgroupPath: String? { cgroup?.path ?? process?.cgroup }
}
