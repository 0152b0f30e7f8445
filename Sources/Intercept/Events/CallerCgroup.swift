/// The cgroup v2 group a caller's socket was created in, and what its path says: the systemd unit,
/// the container and the Kubernetes pod. Found without privileges (see ``CgroupPaths``).
public struct CallerCgroup: Sendable, Hashable {
    /// The cgroup id sock_diag reported; nil when only the path is known.
    public var id: UInt64?
    /// The hierarchy path, `/system.slice/actions-runner.service`; nil when the id could not be
    /// resolved (the cgroup is gone, or the gateway sees no cgroup2 mount).
    public var path: String?

    public init(id: UInt64?, path: String?) {
        self.id = id
        self.path = path
    }

    /// The innermost systemd unit of the path that holds processes: `actions-runner.service`,
    /// `session-4.scope`, `docker-<id>.scope`.
    public var unit: String? { path.flatMap(CgroupPathNames.unit(in:)) }

    /// The container the path names (``ContainerID`` rules), with its runtime.
    public var container: CallerContainer? { path.flatMap(CgroupPathNames.container(in:)) }

    /// The Kubernetes pod UID of a `kubepods…pod<uid>` slice or directory.
    public var podUID: String? { path.flatMap(CgroupPathNames.podUID(in:)) }
}
