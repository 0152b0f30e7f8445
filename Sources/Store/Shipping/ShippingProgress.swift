import Foundation
import GRDB

/// How far this store's rows have been shipped to the central store, kept in the store itself
/// (`central_progress`, not chained) so that `prune` never removes a row PostgreSQL does not hold.
///
/// Invariant: the recorded `seq` only moves forward for a host name.
public enum ShippingProgress {
    public struct Entry: Sendable, Hashable {
        public var host: String
        public var head: ChainHead
        /// Microseconds since the epoch.
        public var updatedAt: Int64
    }

    /// Records that every row up to `head` is in PostgreSQL for `host`.
    public static func record(_ database: StoreDatabase, host: String, head: ChainHead, at time: Int64) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO central_progress (host, shipped_seq, shipped_hash, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (host) DO UPDATE SET shipped_seq = excluded.shipped_seq, shipped_hash = excluded.shipped_hash,
                    updated_at = excluded.updated_at
                WHERE excluded.shipped_seq >= central_progress.shipped_seq
                """, arguments: [host, head.seq, Data(head.hash), time])
        }
    }

    /// Every host name this store was shipped under.
    public static func entries(_ db: Database) throws -> [Entry] {
        try Row.fetchAll(db, sql: "SELECT * FROM central_progress ORDER BY host").map { row in
            let hash: Data = row["shipped_hash"]
            return Entry(host: row["host"], head: ChainHead(seq: row["shipped_seq"], hash: [UInt8](hash)), updatedAt: row["updated_at"])
        }
    }

    public static func entries(_ database: StoreDatabase) throws -> [Entry] {
        try database.pool.read { try entries($0) }
    }
}
