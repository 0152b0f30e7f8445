import GRDB
import GRDBSQLite

/// How far the writer's connection has seen the store change: SQLite's `PRAGMA data_version`,
/// which moves when another connection (another process, `portcullis prune` say) commits, and the
/// connection's own count of changed rows, which moves when anything else on this connection
/// writes (an in-process prune, the shipping progress).
///
/// Invariant: two marks read on the same connection are equal only if nothing but the commits
/// that happened between them on this connection wrote; the writer reads one right after its own
/// commit and one at the start of the next, so equal marks mean the head it committed is still the
/// store's head and need not be read again.
struct StoreChangeMark: Equatable {
    var dataVersion: Int64
    var totalChanges: Int

    /// Steps the cached pragma itself: this runs twice per commit.
    static func read(_ db: Database) throws -> StoreChangeMark {
        let handle = try db.cachedStatement(sql: "PRAGMA data_version").sqliteStatement
        defer { sqlite3_reset(handle) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "PRAGMA data_version gave no row")
        }
        return StoreChangeMark(dataVersion: sqlite3_column_int64(handle, 0), totalChanges: db.totalChangesCount)
    }
}
