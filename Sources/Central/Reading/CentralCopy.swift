import Foundation
import Logging
import NIOCore
import PostgresNIO
import Store

/// Copies a host's rows out of the central store into a scratch local store (same schema, same
/// `seq`, `hash` and values), so that the reading commands and ``Store/StoreVerifier`` work on it
/// exactly as on a gateway's own recording.
///
/// Invariant: with ``CentralSelection/everything`` the copy holds the host's chain as PostgreSQL
/// holds it, row for row; other selections copy fewer rows, and may leave headers and bodies out
/// (their hashes then no longer match: such copies are for reading, never for verifying).
struct CentralCopy {
    let client: PostgresClient
    let store: String
    let logger: Logger
    static let pageRows = 2_000

    /// One table's part of a selection: a condition on its rows (`t` is the table) and the columns
    /// it leaves out, replaced by an expression.
    struct Part {
        var table: CentralMirroredTable
        var condition: String = "true"
        var thinned: [String: String] = [:]
    }

    func copy(host: String, _ selection: CentralSelection, into database: StoreDatabase) async throws(CentralStoreError) -> Int {
        var copied = 0
        for part in Self.parts(selection) {
            var after = Int64.min
            while true {
                let rows: [StoredRow]
                do {
                    rows = try await page(part, host: host, after: after)
                } catch {
                    throw CentralStoreError.from(error, store: store, doing: "reading host \(host)'s \(part.table.name)")
                }
                guard let last = rows.last else { break }
                do {
                    try database.importRows(rows)
                } catch {
                    throw .server(store: store, doing: "copying host \(host)'s rows", sqlState: "-",
                                  message: "the scratch store \(database.path) refused them: \(error)")
                }
                copied += rows.count
                after = last.seq
                if rows.count < Self.pageRows { break }
            }
        }
        return copied
    }

    private func page(_ part: Part, host: String, after: Int64) async throws -> [StoredRow] {
        guard let local = StoreTable.named(part.table.name) else { return [] }
        let columns = part.table.columns.map { column in part.thinned[column.name].map { "\($0) AS \(column.name)" } ?? "t.\(column.name)" }
        let sql = """
            SELECT t.seq, t.hash, \(columns.joined(separator: ", ")) FROM \(part.table.qualifiedName) t
            WHERE t.host = $1 AND t.seq > $2 AND (\(part.condition)) ORDER BY t.seq LIMIT \(Self.pageRows)
            """
        var binds = PostgresBindings()
        binds.append(host)
        binds.append(after)
        var rows: [StoredRow] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
            rows.append(try Self.storedRow(row, table: part.table, local: local))
        }
        return rows
    }

    static func storedRow(_ row: PostgresRow, table: CentralMirroredTable, local: StoreTable) throws -> StoredRow {
        var cells = row.makeIterator()
        guard let seqCell = cells.next(), let hashCell = cells.next() else {
            throw CentralStoreError.schema(store: "", message: "returned a short row for \(table.name)")
        }
        let seq = try seqCell.decode(Int64.self)
        let hash = try hashCell.decode(ByteBuffer.self)
        var values: [StoreValue] = []
        values.reserveCapacity(table.columns.count)
        for column in table.columns {
            guard let cell = cells.next() else { break }
            switch column.type {
            case .bigint: values.append(StoreValue(try cell.decode(Int64?.self)))
            case .text: values.append(StoreValue(try cell.decode(String?.self)))
            case .bytea: values.append(try cell.decode(ByteBuffer?.self).map { .blob(Array($0.readableBytesView)) } ?? .null)
            case .double: values.append(try cell.decode(Double?.self).map(StoreValue.real) ?? .null)
            }
        }
        return StoredRow(table: local, seq: seq, hash: Array(hash.readableBytesView), values: values)
    }

    // MARK: - Selections

    static func parts(_ selection: CentralSelection) -> [Part] {
        func table(_ name: String) -> CentralMirroredTable {
            guard let table = CentralMirror.table(name) else { preconditionFailure("no mirrored table \(name)") }
            return table
        }
        let s = CentralSchema.name
        let noHeaders = ["headers": "'[]'::text"]
        switch selection {
        case .everything:
            return CentralMirror.tables.map { Part(table: $0) }
        case .sessions:
            return [Part(table: table("connections")), Part(table: table("connection_ends")),
                    Part(table: table("requests"), thinned: noHeaders.merging(["body": "NULL::bytea"]) { $1 }),
                    Part(table: table("responses"), thinned: noHeaders.merging(["body": "NULL::bytea"]) { $1 }),
                    Part(table: table("reviews")), Part(table: table("guard_events")), Part(table: table("runs"))]
        case .run(let id):
            // The run's requests, and every earlier request for an object one of them changed.
            let mine = "SELECT r.id FROM \(s).requests r WHERE r.host = $1 AND r.run_id = \(id)"
            let objects = """
                SELECT o.id FROM \(s).requests o JOIN \(s).requests m ON m.host = o.host AND m.api_group = o.api_group
                    AND m.resource = o.resource AND (o.namespace = m.namespace OR o.namespace = '') AND o.seq < m.seq
                WHERE o.host = $1 AND m.run_id = \(id) AND m.verb IN ('update', 'patch', 'delete')
                    AND o.verb IN ('get', 'list', 'create', 'update', 'patch') AND o.subresource = ''
                """
            let requests = "(\(mine)) UNION (\(objects))"
            let connections = "SELECT r.connection_id FROM \(s).requests r WHERE r.host = $1 AND r.id IN (\(requests))"
            return [Part(table: table("runs"), condition: "t.id = \(id)"),
                    Part(table: table("connections"), condition: "t.id IN (\(connections))"),
                    Part(table: table("connection_ends"), condition: "t.connection_id IN (\(connections))"),
                    Part(table: table("requests"), condition: "t.id IN (\(requests))"),
                    Part(table: table("responses"), condition: "t.request_id IN (\(requests))"),
                    Part(table: table("reviews"), condition: "t.request_id IN (\(requests))"),
                    Part(table: table("stream_events"), condition: "t.request_id IN (\(mine))")]
        case .connection(let id):
            let requests = "SELECT r.id FROM \(s).requests r WHERE r.host = $1 AND r.connection_id = \(id)"
            return [Part(table: table("connections"), condition: "t.id = \(id)"),
                    Part(table: table("connection_ends"), condition: "t.connection_id = \(id)"),
                    Part(table: table("requests"), condition: "t.connection_id = \(id)"),
                    Part(table: table("responses"), condition: "t.request_id IN (\(requests))"),
                    Part(table: table("reviews"), condition: "t.request_id IN (\(requests))"),
                    Part(table: table("stream_events"), condition: "t.request_id IN (\(requests))")]
        case .request(let id):
            let connection = "SELECT r.connection_id FROM \(s).requests r WHERE r.host = $1 AND r.id = \(id)"
            return [Part(table: table("connections"), condition: "t.id IN (\(connection))"),
                    Part(table: table("connection_ends"), condition: "t.connection_id IN (\(connection))"),
                    Part(table: table("requests"), condition: "t.id = \(id)"),
                    Part(table: table("responses"), condition: "t.request_id = \(id)"),
                    Part(table: table("reviews"), condition: "t.request_id = \(id)"),
                    Part(table: table("stream_events"), condition: "t.request_id = \(id)")]
        case .guardEvent(let seq):
            return [Part(table: table("guard_events"), condition: "t.seq = \(seq)")]
        case .requests(let since, let until, let bodies):
            var range: [String] = []
            if let since { range.append("received_at >= \(since)") }
            if let until { range.append("received_at <= \(until)") }
            let inRange = range.isEmpty ? "true" : range.joined(separator: " AND ")
            let requests = "SELECT r.id FROM \(s).requests r WHERE r.host = $1 AND \(inRange.replacingOccurrences(of: "received_at", with: "r.received_at"))"
            let requestThin = bodies ? [:] : noHeaders.merging(["body": "CASE WHEN t.verb IN ('create', 'update') THEN t.body END"]) { $1 }
            let responseThin = bodies ? [:] : noHeaders.merging(["body": "CASE WHEN t.status_code >= 400 OR t.rejected = 1 THEN t.body END"]) { $1 }
            return [Part(table: table("connections"),
                         condition: "t.id IN (SELECT r.connection_id FROM \(s).requests r WHERE r.host = $1 AND \(inRange.replacingOccurrences(of: "received_at", with: "r.received_at")))"),
                    Part(table: table("requests"), condition: inRange.replacingOccurrences(of: "received_at", with: "t.received_at"),
                         thinned: requestThin),
                    Part(table: table("responses"), condition: "t.request_id IN (\(requests))", thinned: responseThin),
                    Part(table: table("reviews"), condition: "t.request_id IN (\(requests))"),
                    Part(table: table("runs"), condition: "t.id IN (SELECT r.run_id FROM \(s).requests r WHERE r.host = $1 AND r.id IN (\(requests)))")]
        }
    }
}
