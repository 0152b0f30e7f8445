/// What a commit survives (`store.durability`).
///
/// Both settings commit in WAL mode, and both keep "no record, no access": a request is forwarded,
/// and a response delivered, only once its record is committed. They differ in what a commit that
/// has returned survives:
/// - ``process`` (the default): `synchronous = NORMAL`. A commit survives a crash or `kill -9` of
///   the gateway (the WAL is in the operating system's cache), but not a power loss or a kernel
///   crash of the host, which may lose the last commits before the WAL was synced (at each
///   checkpoint). The agent is the threat, and it cannot cut the host's power.
/// - ``host``: `synchronous = FULL`. Every commit is synced to the disk before it returns, so it
///   survives a power loss too; each commit costs an fsync.
public enum StoreDurability: String, Sendable, Hashable, CaseIterable {
    case process
    case host

    /// The SQLite setting.
    var synchronous: String {
        switch self {
        case .process: "NORMAL"
        case .host: "FULL"
        }
    }

    /// "a commit survives a crash of the gateway, not a power loss of the host", for status.
    public var promise: String {
        switch self {
        case .process: "a commit survives a crash or kill -9 of the gateway, not a power loss or kernel crash of the host"
        case .host: "every commit is on disk when it returns: it survives a power loss of the host"
        }
    }
}
