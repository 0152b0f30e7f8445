import Central
import Foundation
import GRDB
import Store
import Testing
import TestSupport

/// The central schema against the local one, without a server: every chained column is mirrored
/// with the type that keeps its hash, and the roles SQL quotes what it is given.
@Suite struct CentralSchemaTests {
    @Test("every local chained table is mirrored column for column, in order, with the type that keeps its values' hash")
    func mirrorMatchesTheLocalSchema() throws {
        let directory = try TemporaryDirectory.create(purpose: "schema")
        defer { directory.remove() }
        let database = try StoreDatabase.open(path: directory.path("recording.sqlite"))
        defer { try? database.close() }
        let local = try database.pool.read { db in
            try StoreTable.all.map { table in
                (table.name, try Row.fetchAll(db, sql: "PRAGMA table_info(\(table.name))").map { ($0["name"] as String, $0["type"] as String) })
            }
        }
        #expect(Set(CentralMirror.tables.map(\.name)) == Set(StoreTable.all.map(\.name)))
        for (name, columns) in local {
            let mirrored = try #require(CentralMirror.table(name), "no mirror of \(name)")
            let expected = columns.filter { !["seq", "hash"].contains($0.0) }
            #expect(mirrored.columns.map(\.name) == expected.map(\.0), "\(name): column order")
            for (column, type) in expected {
                let central = mirrored.columns.first { $0.name == column }
                #expect(central?.type == CentralColumnType(sqliteType: type), "\(name).\(column): \(type) mirrored as \(String(describing: central?.type))")
            }
        }
    }

    @Test("the migrations create every mirrored table with its primary key, and give nobody but the owner UPDATE or DELETE")
    func migrationStatements() {
        let sql = CentralSchema.migrations.flatMap(\.statements).joined(separator: "\n")
        for table in CentralMirror.tables {
            #expect(sql.contains("CREATE TABLE portcullis.\(table.name) ("), "\(table.name)")
            #expect(sql.contains("ALTER TABLE portcullis.\(table.name) ENABLE ROW LEVEL SECURITY"), "\(table.name)")
        }
        #expect(sql.contains("PRIMARY KEY (host, seq)"))
        #expect(!sql.contains("GRANT UPDATE") && !sql.contains("GRANT DELETE") && !sql.contains("GRANT ALL"))
        #expect(CentralSchema.currentVersion == 3)
    }

    @Test("migration 3 adds exactly the columns the local store's v6 (relay) added, after migrations 1 and 2")
    func migrationThreeAddsTheRelayColumns() {
        let three = CentralSchema.migrations.first { $0.version == 3 }?.statements ?? []
        #expect(three == ["ALTER TABLE portcullis.connections ADD COLUMN gateway text",
                          "ALTER TABLE portcullis.requests ADD COLUMN reported_source text",
                          "ALTER TABLE portcullis.runs ADD COLUMN gateway text"])
        let earlier = CentralSchema.migrations.filter { $0.version < 3 }.flatMap(\.statements).joined(separator: "\n")
        #expect(!earlier.contains("gateway text") && !earlier.contains("reported_source"), "migrations 1 and 2 stay as they were shipped")
    }

    @Test("roles SQL: one role per host, a shared role with a pattern, reviewers; names quoted, no password printed")
    func rolesSQL() {
        let sql = CentralRoles.sql(gateways: [.init(role: "runner-01", hostPattern: "runner-01"), .init(role: "ci", hostPattern: "ci-%")],
                                   reviewers: ["alice"], database: "portcullis")
        #expect(sql.contains(#"CREATE ROLE "runner-01" LOGIN"#))
        #expect(sql.contains(#"GRANT portcullis_gateway TO "runner-01";"#))
        #expect(sql.contains("VALUES ('ci', 'ci-%')"))
        #expect(sql.contains(#"GRANT portcullis_reviewer TO "alice";"#))
        #expect(!sql.lowercased().contains("password '"))
        #expect(sql.hasPrefix("-- Portcullis central store: roles.") && sql.hasSuffix("COMMIT;\n"))
        #expect(CentralRoles.quoteIdentifier(#"a"b"#) == #""a""b""#)
        #expect(CentralRoles.quoteLiteral("o'k") == "'o''k'")
    }

    @Test("the endpoint names the store without a password; a directory host is a Unix socket")
    func endpointDescription() {
        var c = CentralConfiguration(host: "198.18.0.4", user: "runner-a", hostName: "runner-a")
        #expect(c.endpointDescription == "postgresql://runner-a@198.18.0.4:5432/portcullis")
        c.host = "/run/pg"
        #expect(c.unixSocketPath == "/run/pg/.s.PGSQL.5432")
        #expect(c.endpointDescription == "postgresql://runner-a@[/run/pg/.s.PGSQL.5432]/portcullis")
    }
}
