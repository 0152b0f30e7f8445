import Logging
import NIOCore
import PostgresNIO
import Store

/// Runs one insert of a shipment and checks what it did not insert.
enum CentralShipment {
    /// Inserts the statement's rows. For the chain's entries, a `seq` PostgreSQL already holds must
    /// carry the same hash in the same table (a repeated shipment), or shipping stops with a
    /// conflict; the rows themselves then follow their entries (a foreign key ties each row to its
    /// entry, hash included).
    static func insert(_ statement: ShipmentStatement, connection: PostgresConnection, host: String, store: String,
                       logger: Logger) async throws {
        guard statement.table == nil else {
            try await connection.query(statement.query, logger: logger)
            return
        }
        var inserted = Set<Int64>()
        for try await seq in try await connection.query(statement.query, logger: logger).decode(Int64.self) { inserted.insert(seq) }
        let skipped = statement.rows.filter { !inserted.contains($0.seq) }
        guard !skipped.isEmpty else { return }
        let seqs = skipped.map(\.seq)
        var held: [Int64: (hash: [UInt8], table: String)] = [:]
        let rows = try await connection.query("""
            SELECT seq, hash, table_name FROM portcullis.chain WHERE host = \(host) AND seq = ANY(\(seqs))
            """, logger: logger)
        for try await (seq, hash, table) in rows.decode((Int64, ByteBuffer, String).self) {
            held[seq] = (Array(hash.readableBytesView), table)
        }
        for row in skipped {
            guard let found = held[row.seq] else {
                throw CentralStoreError.conflict(store: store, host: host, message: "seq \(row.seq): the central store refused it without saying why")
            }
            guard found.hash == row.hash, found.table == row.table.name else {
                throw CentralStoreError.conflict(store: store, host: host, message: """
                    seq \(row.seq) (local \(row.table.name)): the central store already holds a different row there (in \(found.table)): \
                    another gateway uses the host name \(host), or a row was written there under its name
                    """)
            }
        }
    }
}
