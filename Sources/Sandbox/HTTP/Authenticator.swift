import Kube

/// Static-token authentication and impersonation, as kube-apiserver's token-file authenticator
/// and impersonation filter do them.
public final class Authenticator: Sendable {
    public enum Outcome: Sendable, Equatable {
        case anonymous
        case authenticated(UserInfo)
        case rejected
    }

    /// Who a request runs as: the authenticated user, and the impersonated one if any.
    public struct Identity: Sendable, Equatable {
        public var user: UserInfo
        public var impersonatedUser: UserInfo?
        public var effective: UserInfo { impersonatedUser ?? user }
    }

    private let users: [String: UserInfo]
    private let impersonators: Set<String>

    public init(tokens: [StaticToken], impersonators: Set<String>) {
        var users: [String: UserInfo] = [:]
        for token in tokens {
            users[token.token] = UserInfo(username: token.user, uid: token.uid,
                                          groups: token.groups + ["system:authenticated"])
        }
        self.users = users
        self.impersonators = impersonators
    }

    /// Looks up the bearer token of an `Authorization` header.
    public func authenticate(authorization: String?) -> Outcome {
        guard let authorization, !authorization.isEmpty else { return .anonymous }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .rejected }
        let token = parts[1].trimmingCharacters(in: " ")
        guard let user = users[token] else { return .rejected }
        return .authenticated(user)
    }

    /// Applies `Impersonate-*` headers (names compared case-insensitively).
    /// - Throws: 403 for a user who may not impersonate; 500 for groups, uid or extras without a user.
    public func identity(for user: UserInfo, headers: [(name: String, value: String)]) throws(Status) -> Identity {
        var target: String?
        var groups: [String] = []
        var uid = ""
        var extra: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            switch lower {
            case "impersonate-user": target = value
            case "impersonate-group": groups.append(value)
            case "impersonate-uid": uid = value
            default:
                if lower.hasPrefix("impersonate-extra-") {
                    let key = PercentDecoding.decode(String(lower.dropFirst("impersonate-extra-".count)), plusAsSpace: false) ?? ""
                    extra[key, default: []].append(value)
                }
            }
        }
        guard let target else {
            if !groups.isEmpty || !uid.isEmpty || !extra.isEmpty {
                throw Status.internalError("requested impersonation of groups, uid or extra without impersonating a user")
            }
            return Identity(user: user)
        }
        guard impersonators.contains(user.username) else {
            throw Status.forbidden(GroupResource(resource: "users"), name: target,
                                   "User \(goQuote(user.username)) cannot impersonate resource \"users\" in API group \"\" at the cluster scope")
        }
        groups += serviceAccountGroups(target)
        if !groups.contains("system:authenticated"), !groups.contains("system:unauthenticated") {
            groups.append("system:authenticated")
        }
        return Identity(user: user, impersonatedUser: UserInfo(username: target, uid: uid, groups: groups, extra: extra))
    }

    private func serviceAccountGroups(_ username: String) -> [String] {
        let parts = username.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "system", parts[1] == "serviceaccount" else { return [] }
        return ["system:serviceaccounts", "system:serviceaccounts:\(parts[2])"]
    }
}
