/// Who opened a connection or sent a dropped packet, as Intercept attributed it. Every field is
/// optional: attribution is best effort and a process may be gone before it is looked up.
public struct CallerRecord: Sendable, Hashable {
    public var uid: Int64?
    public var gid: Int64?
    public var pid: Int64?
    public var executable: String?
    /// The command line as recorded (a JSON array of words), decoded.
    public var commandLine: [String]?
    /// The cgroup v2 path: the socket's (sock_diag), or the process's on records made before it.
    public var cgroup: String?
    public var containerID: String?
    /// The socket's cgroup id.
    public var cgroupID: Int64?
    /// The systemd unit the cgroup path names.
    public var unit: String?
    /// `docker`, `containerd`, `cri-o`, `podman`, `cri`, `cni`.
    public var containerRuntime: String?
    public var podUID: String?
    /// On a relay's record: the gateway the connection came from (its client certificate's name).
    public var gateway: String?

    public init(uid: Int64? = nil, gid: Int64? = nil, pid: Int64? = nil, executable: String? = nil, commandLine: [String]? = nil,
                cgroup: String? = nil, containerID: String? = nil, cgroupID: Int64? = nil, unit: String? = nil,
                containerRuntime: String? = nil, podUID: String? = nil, gateway: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.executable = executable
        self.commandLine = commandLine
        self.cgroup = cgroup
        self.containerID = containerID
        self.cgroupID = cgroupID
        self.unit = unit
        self.containerRuntime = containerRuntime
        self.podUID = podUID
        self.gateway = gateway
    }

    /// The executable's file name, `kubectl` for `/usr/local/bin/kubectl`.
    public var programName: String? {
        guard let executable, !executable.isEmpty else { return commandLine?.first.map(Self.baseName) }
        return Self.baseName(executable)
    }

    /// `docker:4f3a2b1c9d8e` (runtime and short id), or nil without a container.
    public var containerText: String? {
        guard let containerID, !containerID.isEmpty else { return nil }
        return "\(containerRuntime ?? "container"):\(containerID.prefix(12))"
    }

    /// Where the caller runs, most specific first: its container, else its systemd unit.
    public var placeText: String? { containerText ?? unit }

    /// `docker:4f3a2b1c9d8e uid 1000 kubectl[4242]`, `actions-runner.service uid 1000`, `uid 1000`,
    /// `gateway runner-01` (on a relay), or `-` when nothing is known.
    public var shortText: String {
        var parts: [String] = []
        if let place = placeText { parts.append(place) }
        if let gateway { parts.append("gateway \(gateway)") }
        if let uid { parts.append("uid \(uid)") }
        if let name = programName {
            parts.append(pid.map { "\(name)[\($0)]" } ?? name)
        } else if let pid {
            parts.append("pid \(pid)")
        }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }

    /// `uid 1000, gid 1000, pid 4242, /usr/bin/kubectl: kubectl get pods`.
    public var longText: String {
        var parts: [String] = []
        if let gateway { parts.append("gateway \(gateway) (by its client certificate)") }
        if let uid { parts.append("uid \(uid)") }
        if let gid { parts.append("gid \(gid)") }
        if let pid { parts.append("pid \(pid)") }
        if let executable, !executable.isEmpty { parts.append(executable) }
        var text = parts.isEmpty ? "unknown" : parts.joined(separator: ", ")
        if let commandLine, !commandLine.isEmpty { text += ": " + commandLine.joined(separator: " ") }
        return text
    }

    /// The cgroup facts for `show`: `/system.slice/actions-runner.service (id 1234)`.
    public var cgroupText: String? {
        guard cgroup != nil || cgroupID != nil else { return nil }
        let id = cgroupID.map { "id \(UInt64(bitPattern: $0))" }
        guard let cgroup else { return id.map { "\($0) (its path was not found)" } }
        return cgroup + (id.map { " (\($0))" } ?? "")
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
