import Foundation
import Kube
import Logging
import PostgresNIO
import Proxy
import Store

/// The grants made through the central store, and their revocations.
public enum CentralGrants {
    public struct Revocation: Sendable, Hashable {
        public var at: KubeTime
        /// The database role that revoked it.
        public var by: String
        public var reason: String?
    }

    public struct Entry: Sendable, Hashable {
        public var grant: Grant
        public var revocation: Revocation?
    }

    static let columns = """
        g.id, g.for_host, g.subject_kind, g.subject, g.verbs, g.api_groups, g.resources, g.namespaces, g.names, \
        g.non_resource_urls, g.reason, g.created_at, g.expires_at, g.created_by, \
        r.grant_id AS revoked_id, r.revoked_at, r.revoked_by, r.reason AS revoke_reason
        """

    /// Grants not yet expired that apply to `host` (made for it or for every host).
    static func forHost(_ host: String, client: PostgresClient, logger: Logger, now: KubeTime) async throws -> [Entry] {
        let rows = try await client.query("""
            SELECT \(unescaped: columns) FROM portcullis.fleet_grants g LEFT JOIN portcullis.fleet_revocations r ON r.grant_id = g.id
            WHERE (g.for_host IS NULL OR g.for_host = \(host)) AND g.expires_at > \(now.microseconds)
            ORDER BY g.created_at
            """, logger: logger)
        return try await entries(rows)
    }

    /// Every grant (with `all`) or those still in force, for `portcullis grants --central`.
    public static func list(all: Bool, client: PostgresClient, logger: Logger, now: KubeTime) async throws -> [Entry] {
        let rows = try await client.query("""
            SELECT \(unescaped: columns) FROM portcullis.fleet_grants g LEFT JOIN portcullis.fleet_revocations r ON r.grant_id = g.id
            WHERE \(all) OR (g.expires_at > \(now.microseconds) AND r.grant_id IS NULL)
            ORDER BY g.created_at
            """, logger: logger)
        return try await entries(rows)
    }

    /// Makes a grant for every host (`forHost` nil) or one; the database sets its author and times.
    public static func issue(_ grant: Grant, lifetimeSeconds: Int64, forHost: String?, client: PostgresClient,
                             logger: Logger) async throws -> Entry {
        func json(_ values: [String]) -> String { String(decoding: JSONValue.array(values.map(JSONValue.string)).jsonBytes(), as: UTF8.self) }
        let rows = try await client.query("""
            WITH g AS (
                INSERT INTO portcullis.fleet_grants (id, for_host, subject_kind, subject, verbs, api_groups, resources, namespaces, names,
                    non_resource_urls, reason, lifetime_seconds, created_at, expires_at, created_by)
                VALUES (\(grant.id), \(forHost), \(grant.subject.kind), \(grant.subject.name), \(json(grant.verbs)), \(json(grant.apiGroups)),
                    \(json(grant.resources)), \(json(grant.namespaces)), \(json(grant.names)), \(json(grant.nonResourceURLs)),
                    \(grant.reason), \(Int32(clamping: lifetimeSeconds)), 0, 0, '')
                RETURNING *)
            SELECT \(unescaped: columns) FROM g LEFT JOIN portcullis.fleet_revocations r ON false
            """, logger: logger)
        guard let entry = try await entries(rows).first else {
            throw CentralStoreError.server(store: "", doing: "recording the grant", sqlState: "?", message: "no row came back")
        }
        return entry
    }

    /// Ends a grant early; the database sets who and when.
    public static func revoke(id: String, reason: String?, client: PostgresClient, logger: Logger) async throws -> Revocation {
        let rows = try await client.query("""
            INSERT INTO portcullis.fleet_revocations (grant_id, reason, revoked_at, revoked_by) VALUES (\(id), \(reason), 0, '')
            RETURNING revoked_at, revoked_by, reason
            """, logger: logger)
        for try await (at, by, reason) in rows.decode((Int64, String, String?).self) {
            return Revocation(at: KubeTime(microseconds: at), by: by, reason: reason)
        }
        throw CentralStoreError.server(store: "", doing: "recording the revocation", sqlState: "?", message: "no row came back")
    }

    private static func entries(_ rows: PostgresRowSequence) async throws -> [Entry] {
        var entries: [Entry] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            func list(_ column: String) throws -> [String] {
                let text = try r[column].decode(String.self)
                return (try? JSONParser.parse(Array(text.utf8)))?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            let kind = try r["subject_kind"].decode(String.self), name = try r["subject"].decode(String.self)
            let grant = Grant(id: try r["id"].decode(String.self), subject: kind == "group" ? .group(name) : .user(name),
                              verbs: try list("verbs"), apiGroups: try list("api_groups"), resources: try list("resources"),
                              namespaces: try list("namespaces"), names: try list("names"), nonResourceURLs: try list("non_resource_urls"),
                              reason: try r["reason"].decode(String.self),
                              createdAt: KubeTime(microseconds: try r["created_at"].decode(Int64.self)),
                              expiresAt: KubeTime(microseconds: try r["expires_at"].decode(Int64.self)),
                              createdBy: .centralRole(try r["created_by"].decode(String.self)), host: try r["for_host"].decode(String?.self))
            var revocation: Revocation?
            if try r["revoked_id"].decode(String?.self) != nil {
                revocation = Revocation(at: KubeTime(microseconds: try r["revoked_at"].decode(Int64.self)),
                                        by: try r["revoked_by"].decode(String.self), reason: try r["revoke_reason"].decode(String?.self))
            }
            entries.append(Entry(grant: grant, revocation: revocation))
        }
        return entries
    }
}
