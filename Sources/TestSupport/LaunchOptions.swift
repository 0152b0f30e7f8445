/// How to start a ``ChildProcess``.
public struct LaunchOptions: Sendable {
    /// The network namespace to run in (`ip netns exec NAME ...`); `nil` runs in the test's own.
    public var namespace: String?
    /// Another user to run as (`setpriv`); `nil` keeps the test runner's user.
    public var runAs: RunAs?
    /// The complete environment; `nil` inherits the test runner's.
    public var environment: [String: String]?
    /// The working directory; `nil` inherits the test runner's.
    public var workingDirectory: String?
    /// What the child reads on standard input.
    public var standardInput: StandardInput
    /// A short name for messages; defaults to the command line.
    public var label: String?
    /// Whether the process registers with ``CleanupRegistry/shared`` so that it is killed on an interrupt
    /// or at process exit. Leave it on unless something else guarantees the process ends.
    public var registersForCleanup: Bool
    /// A cgroup v2 directory (``TestCgroup``) the process starts in: it moves itself there before
    /// anything else runs, so every socket it makes belongs to that cgroup.
    public var cgroup: String?
    /// Inside ``namespace``, mount the cgroup v2 hierarchy at `/sys/fs/cgroup` first, as the host
    /// has one: `ip netns exec` gives the process a fresh `/sys` without cgroup mounts.
    public var mountsCgroupHierarchy: Bool

    public init(namespace: String? = nil, runAs: RunAs? = nil, environment: [String: String]? = nil,
                workingDirectory: String? = nil, standardInput: StandardInput = .null, label: String? = nil,
                registersForCleanup: Bool = true, cgroup: String? = nil, mountsCgroupHierarchy: Bool = false) {
        self.namespace = namespace
        self.runAs = runAs
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.label = label
        self.registersForCleanup = registersForCleanup
        self.cgroup = cgroup
        self.mountsCgroupHierarchy = mountsCgroupHierarchy
    }
}
