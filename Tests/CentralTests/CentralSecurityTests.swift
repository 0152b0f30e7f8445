import Central
import Foundation
import Testing
import TestSupport

/// Who may do what in the central store, asked of PostgreSQL itself.
@Suite(.serialized, .enabled(if: Privileges.shouldRunRootTests, Comment(rawValue: Privileges.rootRequiredMessage)))
struct CentralSecurityTests {
    /// A row as a gateway ships it: its chain entry, then the row.
    static func insertRow(host: String, seq: Int) -> String {
        """
        INSERT INTO portcullis.chain (host, seq, hash, table_name) VALUES ('\(host)', \(seq), '\\x01', 'connection_ends');
        INSERT INTO portcullis.connection_ends (host, seq, hash, connection_id, closed_at) VALUES ('\(host)', \(seq), '\\x01', 1, 1);
        """
    }

    @Test("a gateway role inserts its own host's rows only, and may not UPDATE, DELETE, or read them back beyond seq and hash")
    func gatewayRole() async throws {
        try await CentralFixture.with { f in
            #expect(try f.psql(Self.insertRow(host: "runner-a", seq: 1), as: "runner-a").status.isSuccess)
            let other = try f.psql(Self.insertRow(host: "runner-b", seq: 1), as: "runner-a")
            #expect(!other.status.isSuccess && other.standardError.contains("row-level security"), "\(other)")
            let update = try f.psql("UPDATE portcullis.connection_ends SET closed_at = 2 WHERE host = 'runner-a'", as: "runner-a")
            #expect(!update.status.isSuccess && update.standardError.contains("permission denied"), "\(update)")
            let delete = try f.psql("DELETE FROM portcullis.connection_ends WHERE host = 'runner-a'", as: "runner-a")
            #expect(!delete.status.isSuccess && delete.standardError.contains("permission denied"), "\(delete)")
            let truncate = try f.psql("TRUNCATE portcullis.connection_ends", as: "runner-a")
            #expect(!truncate.status.isSuccess, "\(truncate)")
            let hashes = try f.psql("SELECT seq, hash FROM portcullis.connection_ends", as: "runner-a")
            #expect(hashes.status.isSuccess && hashes.standardOutput.contains("1|\\x01"), "\(hashes)")
            let content = try f.psql("SELECT closed_at FROM portcullis.connection_ends", as: "runner-a")
            #expect(!content.status.isSuccess && content.standardError.contains("permission denied"), "\(content)")
            let grant = try f.psql("""
                INSERT INTO portcullis.fleet_grants (id, subject_kind, subject, verbs, api_groups, resources, namespaces, names,
                  non_resource_urls, reason, lifetime_seconds, created_at, expires_at, created_by)
                VALUES ('g-00000001', 'user', 'me', '["*"]', '[]', '["*"]', '[]', '[]', '[]', 'self-service', 60, 0, 0, '')
                """, as: "runner-a")
            #expect(!grant.status.isSuccess && grant.standardError.contains("permission denied"), "a gateway may not grant: \(grant)")
            #expect(try f.superuserRows("SELECT count(*), max(closed_at) FROM portcullis.connection_ends") == ["1|1"])
        }
    }

    @Test("a shared gateway role writes any host name its pattern allows, and no other")
    func sharedRole() async throws {
        try await CentralFixture.with { f in
            #expect(try f.psql(Self.insertRow(host: "ci-1", seq: 1), as: "ci").status.isSuccess)
            #expect(try f.psql(Self.insertRow(host: "ci-2", seq: 1), as: "ci").status.isSuccess)
            let outside = try f.psql(Self.insertRow(host: "runner-a", seq: 1), as: "ci")
            #expect(!outside.status.isSuccess && outside.standardError.contains("row-level security"), "\(outside)")
        }
    }

    @Test("a reviewer reads everything and decides, as itself whatever it claims, but writes no record rows")
    func reviewerRole() async throws {
        try await CentralFixture.with { f in
            #expect(try f.psql(Self.insertRow(host: "runner-a", seq: 1), as: "runner-a").status.isSuccess)
            let read = try f.psql("SELECT host, closed_at FROM portcullis.connection_ends", as: "alice")
            #expect(read.standardOutput.contains("runner-a|1"), "\(read)")
            let forge = try f.psql(Self.insertRow(host: "runner-a", seq: 2), as: "alice")
            #expect(!forge.status.isSuccess && forge.standardError.contains("permission denied"), "\(forge)")
            let held = try f.psql("""
                INSERT INTO portcullis.held_requests (host, request_id, held_at, deadline, username, groups, intent, body_summary, rule)
                VALUES ('runner-a', 7, 0, 9000000000000000, 'oidc:agent-7', '[]', 'delete pod web-1 in demo', '', 'review-deletes')
                """, as: "runner-a")
            #expect(held.status.isSuccess, "\(held)")
            let decided = try f.psql("""
                INSERT INTO portcullis.review_decisions (host, request_id, decision, reason, reviewer, decided_at)
                VALUES ('runner-a', 7, 'allow', 'ok', 'someone-else', 1) RETURNING reviewer
                """, as: "alice")
            #expect(decided.status.isSuccess && decided.standardOutput.hasPrefix("alice"), "the database names the reviewer: \(decided)")
            let again = try f.psql("INSERT INTO portcullis.review_decisions (host, request_id, decision, reviewer, decided_at) VALUES ('runner-a', 7, 'deny', '', 0)", as: "alice")
            #expect(!again.status.isSuccess, "one decision per request: \(again)")
            let unknown = try f.psql("INSERT INTO portcullis.review_decisions (host, request_id, decision, reviewer, decided_at) VALUES ('runner-a', 8, 'allow', '', 0)", as: "alice")
            #expect(!unknown.status.isSuccess && unknown.standardError.contains("no request r8 is held on host runner-a"), "\(unknown)")
            let self_ = try f.psql("INSERT INTO portcullis.review_decisions (host, request_id, decision, reviewer, decided_at) VALUES ('runner-a', 7, 'allow', '', 0)", as: "runner-a")
            #expect(!self_.status.isSuccess && self_.standardError.contains("permission denied"), "a gateway may not decide: \(self_)")
        }
    }
}
