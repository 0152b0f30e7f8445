/// Who approved or denied a held request, made a grant or revoked one.
///
/// Over the local admin socket that is the caller's uid (checked with SO_PEERCRED); through the
/// central store it is the PostgreSQL login role the reviewer connected as (set by the database,
/// never by the client: see docs/central.md).
public enum Principal: Sendable, Hashable, CustomStringConvertible {
    /// A local uid over the admin socket.
    case uid(UInt32)
    /// A PostgreSQL login role, through the central store.
    case centralRole(String)

    /// "uid 0", "central role alice".
    public var description: String {
        switch self {
        case .uid(let uid): "uid \(uid)"
        case .centralRole(let role): "central role \(role)"
        }
    }

    /// The local uid, when it is one.
    public var uid: UInt32? {
        if case .uid(let uid) = self { return uid }
        return nil
    }

    /// The database role, when it is one.
    public var centralRole: String? {
        if case .centralRole(let role) = self { return role }
        return nil
    }
}
