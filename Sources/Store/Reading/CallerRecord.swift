/// Who opened a connection or sent a dropped packet, as Intercept attributed it. Every field is
/// optional: attribution is best effort and a process may be gone before it is looked up.
public struct CallerRecord: Sendable, Hashable {
    public var uid: Int64?
    public var gid: Int64?
    public var pid: Int64?
    public var executable: String?
    /// The command line as recorded (a JSON array of words), decoded.
    public var commandLine: [String]?
    public var cgroup: String?
    public var containerID: String?
    /// On a relay's record: the gateway the connection came from (its client certificate's name).
    public var gateway: String?

    public init(uid: Int64? = nil, gid: Int64? = nil, pid: Int64? = nil, executable: String? = nil, commandLine: [String]? = nil,
                cgroup: String? = nil, containerID: String? = nil, gateway: String? = nil) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.executable = executable
        self.commandLine = commandLine
        self.cgroup = cgroup
        self.containerID = containerID
        self.gateway = gateway
    }

    /// The executable's file name, `kubectl` for `/usr/local/bin/kubectl`.
    public var programName: String? {
        guard let executable, !executable.isEmpty else { return commandLine?.first.map(Self.baseName) }
        return Self.baseName(executable)
    }

    /// `uid 1000 kubectl[4242]`, `uid 1000`, `gateway runner-01` (on a relay), or `-` when nothing
    /// is known.
    public var shortText: String {
        var parts: [String] = []
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

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
