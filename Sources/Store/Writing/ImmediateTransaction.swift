import GRDB

/// `BEGIN IMMEDIATE` … `COMMIT` through statements prepared once per connection (GRDB's cached
/// statements), where `Database.inTransaction` prepares both anew for every commit. The writer
/// commits up to thousands of times a second, so the parsing showed.
///
/// Invariant: when `body` (or the commit) throws, the transaction is rolled back if SQLite has
/// not already done so, and the error is rethrown; nothing is left open.
enum ImmediateTransaction {
    static func run(_ db: Database, _ body: () throws -> Void) throws {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
    }
}
