/// One row of `runs`: an agent's run as it started (see ``StoreSchema`` v5).
public struct RunRecord: Sendable, Hashable {
    public var seq: Int64
    public var id: Int64
    public var startedAt: Int64
    /// uid, cgroup, unit, container and pod of the caller the run came from.
    public var caller: CallerRecord
    /// A forwarded caller's source address.
    public var callerAddress: String?
    public var username: String
    public var groups: [String]
    public var issuer: String
    public var subject: String
    /// The first 16 hex digits of the token's SHA-256.
    public var tokenFingerprint: String
    /// The issuer's run claims the token held, by name.
    public var claims: [String: String]

    public init(seq: Int64, id: Int64, startedAt: Int64, caller: CallerRecord = CallerRecord(), callerAddress: String? = nil,
                username: String, groups: [String] = [], issuer: String = "", subject: String = "", tokenFingerprint: String,
                claims: [String: String] = [:]) {
        self.seq = seq
        self.id = id
        self.startedAt = startedAt
        self.caller = caller
        self.callerAddress = callerAddress
        self.username = username
        self.groups = groups
        self.issuer = issuer
        self.subject = subject
        self.tokenFingerprint = tokenFingerprint
        self.claims = claims
    }

    public var reference: RecordReference { .run(id) }

    /// `repository=acme/app run_id=42`, claims in name order; `-` without any.
    public var claimsText: String {
        claims.isEmpty ? "-" : claims.keys.sorted().map { "\($0)=\(claims[$0] ?? "")" }.joined(separator: " ")
    }

    /// Where the run came from: `docker:4f3a2b1c9d8e uid 64991`, `actions-runner.service uid 1000`,
    /// `uid 1000`, or a forwarded caller's address; on a relay, `gateway runner-01` first.
    public var callerText: String {
        var parts: [String] = []
        if let gateway = caller.gateway { parts.append("gateway \(gateway)") }
        if let place = caller.placeText { parts.append(place) }
        if let uid = caller.uid { parts.append("uid \(uid)") }
        if parts.isEmpty, let callerAddress { parts.append(callerAddress) }
        return parts.isEmpty ? "-" : parts.joined(separator: " ")
    }
}
