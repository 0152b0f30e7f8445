import Foundation
import GRDB

extension StoreDatabase {
    /// Inserts rows exactly as given, `seq` and `hash` included, without chaining them: for a
    /// scratch copy of a host's record read back from the central store, so that the reading
    /// commands and ``StoreVerifier`` work on it as on a local store. Never use it on a live
    /// recording: the writer chains rows itself.
    ///
    /// A row whose `seq` is already present is left as it is (reading overlapping pages is harmless).
    public func importRows(_ rows: [StoredRow]) throws {
        try pool.write { db in
            for row in rows {
                guard let sql = insertSQL[row.table.name] else { continue }
                var values: [DatabaseValue] = [row.seq.databaseValue, Data(row.hash).databaseValue]
                values.reserveCapacity(row.values.count + 2)
                for value in row.values { values.append(value.binding) }
                try db.cachedStatement(sql: sql.replacingOccurrences(of: "INSERT INTO", with: "INSERT OR IGNORE INTO"))
                    .execute(arguments: StatementArguments(values))
            }
        }
    }
}
