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

/// Who is behind a connection or packet: a local user and process, or, for traffic forwarded from
/// a bridge, only the source address and the interface it came in on.
public struct Caller: Sendable, Hashable {
    public var uid: UInt32?
    public var gid: UInt32?
    public var process: CallerProcess?
    public var sourceAddress: IPAddress?
    public var interface: String?

    public init(uid: UInt32? = nil, gid: UInt32? = nil, process: CallerProcess? = nil, sourceAddress: IPAddress? = nil,
                interface: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.process = process
        self.sourceAddress = sourceAddress
        self.interface = interface
    }
}
