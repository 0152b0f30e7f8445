import GRDB
import Kube
import Proxy

extension StoreReader {
    /// Every recorded grant, oldest first, with its revocation.
    public func grants() throws -> [RecordedGrant] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT g.*, x.at AS revoked_at, x.revoked_by_uid, x.revoked_by, x.reason AS revoke_reason
                FROM grants g LEFT JOIN grant_revocations x ON x.grant_id = g.id ORDER BY g.seq
                """).compactMap { row in
                    guard let grant = Self.grant(row) else { return nil }
                    return RecordedGrant(grant: grant, revokedAt: row["revoked_at"],
                                         revokedBy: Self.principal(uid: row["revoked_by_uid"], role: row["revoked_by"]),
                                         revokeReason: row["revoke_reason"])
                }
        }
    }

    /// The grants in force at `time`: what the gateway loads when it starts.
    public func activeGrants(at time: KubeTime) throws -> [Grant] {
        try grants().filter { $0.isActive(at: time) }.map(\.grant)
    }

    private static func grant(_ row: Row) -> Grant? {
        let kind: String = row["subject_kind"], name: String = row["subject"]
        let subject: GrantSubject = kind == "group" ? .group(name) : .user(name)
        func list(_ column: String) -> [String] { RowDecoding.strings(row[column]) ?? [] }
        guard let by = principal(uid: row["created_by_uid"], role: row["created_by"]) else { return nil }
        return Grant(id: row["id"], subject: subject, verbs: list("verbs"), apiGroups: list("api_groups"), resources: list("resources"),
                     namespaces: list("namespaces"), names: list("names"), nonResourceURLs: list("non_resource_urls"),
                     reason: row["reason"], createdAt: KubeTime(microseconds: row["created_at"]),
                     expiresAt: KubeTime(microseconds: row["expires_at"]), createdBy: by, host: row["for_host"])
    }

    /// A recorded uid or central role.
    static func principal(uid: Int64?, role: String?) -> Principal? {
        if let role { return .centralRole(role) }
        return uid.map { .uid(UInt32(clamping: $0)) }
    }
}
