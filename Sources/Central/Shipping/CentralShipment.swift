import Logging
import NIOCore
import PostgresNIO
import Store

/// Runs one insert of a shipment and checks what it did not insert.
enum CentralShipment {
    /// Inserts the statement's rows; a row PostgreSQL already holds must carry the same hash (a
    /// repeated shipment), or shipping stops with a conflict.
    static func insert(_ statement: ShipmentStatement, connection: PostgresConnection, host: String, store: String,
                       logger: Logger) async throws {
        var inserted = Set<Int64>()
        for try await seq in try await connection.query(statement.query, logger: logger).decode(Int64.self) { inserted.insert(seq) }
        let skipped = statement.rows.filter { !inserted.contains($0.seq) }
        guard !skipped.isEmpty else { return }
        let seqs = skipped.map(\.seq)
        var held: [Int64: [UInt8]] = [:]
        let rows = try await connection.query("""
            SELECT seq, hash FROM \(unescaped: statement.table.qualifiedName) WHERE host = \(host) AND seq = ANY(\(seqs))
            """, logger: logger)
        for try await (seq, hash) in rows.decode((Int64, ByteBuffer).self) { held[seq] = Array(hash.readableBytesView) }
        for row in skipped where held[row.seq] != row.hash {
            let what = held[row.seq] == nil ? "refused it without saying why" : "already holds a different row there"
            throw CentralStoreError.conflict(store: store, host: host, message: """
                \(statement.table.name) seq \(row.seq): the central store \(what) (another gateway uses the host name \(host), \
                or a row was written there under its name)
                """)
        }
    }
}
