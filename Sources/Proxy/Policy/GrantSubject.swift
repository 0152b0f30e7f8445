/// Whom a grant is for: one user or one group, as the verified identity names them (with the
/// issuer's prefixes, such as `oidc:agent-7`).
public enum GrantSubject: Sendable, Hashable, CustomStringConvertible {
    case user(String)
    case group(String)

    public var kind: String {
        switch self {
        case .user: "user"
        case .group: "group"
        }
    }

    public var name: String {
        switch self {
        case .user(let name), .group(let name): name
        }
    }

    public var description: String { "\(kind) \(name)" }
}
