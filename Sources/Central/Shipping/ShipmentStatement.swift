import NIOCore
import PostgresNIO
import Store

/// The statements one shipment runs: first the rows' entries in `portcullis.chain` (returning the
/// `seq`s actually inserted, so a `seq` already taken is checked), then, for each table, multi-row
/// INSERTs of its rows. All idempotent on (`host`, `seq`); the host is bound once per statement.
///
/// Invariant: every value is bound as the type the mirrored column has (``CentralColumnType``);
/// a local value of another type is refused with ``CentralStoreError/conflict(store:host:message:)``
/// rather than converted, because the chain hashes the type too.
struct ShipmentStatement: Sendable {
    /// nil for the chain's entries.
    let table: CentralMirroredTable?
    let query: PostgresQuery
    let rows: [StoredRow]

    /// PostgreSQL takes at most 65,535 parameters per statement.
    static let maxParameters = 60_000

    static func statements(for rows: [StoredRow], host: String, store: String) throws(CentralStoreError) -> [ShipmentStatement] {
        var statements = chainStatements(rows, host: host)
        var byTable: [String: [StoredRow]] = [:]
        var order: [String] = []
        for row in rows {
            if byTable[row.table.name] == nil { order.append(row.table.name) }
            byTable[row.table.name, default: []].append(row)
        }
        for name in order {
            guard let table = CentralMirror.table(name), let tableRows = byTable[name] else {
                throw .schema(store: store, message: "has no mirror of the local table \(name) (run `portcullis central migrate`)")
            }
            let perStatement = max(1, maxParameters / (table.columns.count + 2))
            var start = 0
            while start < tableRows.count {
                let chunk = Array(tableRows[start..<min(start + perStatement, tableRows.count)])
                statements.append(try statement(table, chunk, host: host, store: store))
                start += perStatement
            }
        }
        return statements
    }

    private static func statement(_ table: CentralMirroredTable, _ rows: [StoredRow], host: String,
                                  store: String) throws(CentralStoreError) -> ShipmentStatement {
        var binds = PostgresBindings(capacity: 1 + rows.count * (table.columns.count + 2))
        binds.append(host)
        var sql = "INSERT INTO \(table.qualifiedName) (host, seq, hash, \(table.columns.map(\.name).joined(separator: ", "))) VALUES "
        var index = 2
        for (n, row) in rows.enumerated() {
            guard row.values.count == table.columns.count else {
                throw .schema(store: store, message: "mirrors \(table.name) with \(table.columns.count) columns, the local store has \(row.values.count)")
            }
            if n > 0 { sql += ", " }
            sql += "($1"
            binds.append(row.seq)
            binds.append(ByteBuffer(bytes: row.hash))
            sql += ", $\(index), $\(index + 1)"
            index += 2
            for (column, value) in zip(table.columns, row.values) {
                try bind(value, as: column, of: row, host: host, store: store, into: &binds)
                sql += ", $\(index)"
                index += 1
            }
            sql += ")"
        }
        sql += " ON CONFLICT (host, seq) DO NOTHING"
        return ShipmentStatement(table: table, query: PostgresQuery(unsafeSQL: sql, binds: binds), rows: rows)
    }

    /// `INSERT INTO portcullis.chain … RETURNING seq`, in chunks under the parameter limit.
    private static func chainStatements(_ rows: [StoredRow], host: String) -> [ShipmentStatement] {
        var statements: [ShipmentStatement] = []
        let perStatement = maxParameters / 3
        var start = 0
        while start < rows.count {
            let chunk = Array(rows[start..<min(start + perStatement, rows.count)])
            var binds = PostgresBindings(capacity: 1 + chunk.count * 3)
            binds.append(host)
            var sql = "INSERT INTO \(CentralSchema.name).chain (host, seq, hash, table_name) VALUES "
            var index = 2
            for (n, row) in chunk.enumerated() {
                if n > 0 { sql += ", " }
                sql += "($1, $\(index), $\(index + 1), $\(index + 2))"
                binds.append(row.seq)
                binds.append(ByteBuffer(bytes: row.hash))
                binds.append(row.table.name)
                index += 3
            }
            sql += " ON CONFLICT (host, seq) DO NOTHING RETURNING seq"
            statements.append(ShipmentStatement(table: nil, query: PostgresQuery(unsafeSQL: sql, binds: binds), rows: chunk))
            start += perStatement
        }
        return statements
    }

    private static func bind(_ value: StoreValue, as column: CentralMirroredTable.Column, of row: StoredRow, host: String,
                             store: String, into binds: inout PostgresBindings) throws(CentralStoreError) {
        switch (value, column.type) {
        case (.null, _): binds.appendNull()
        case (.integer(let i), .bigint): binds.append(i)
        case (.text(let s), .text): binds.append(s)
        case (.blob(let b), .bytea): binds.append(ByteBuffer(bytes: b))
        case (.real(let d), .double): binds.append(d)
        default:
            throw .conflict(store: store, host: host, message: "\(row.table.name) seq \(row.seq): column \(column.name) holds \(value.typeName) "
                            + "where the central store keeps \(column.type.rawValue); the local row is not as Portcullis writes it")
        }
    }
}

extension StoreValue {
    /// "an integer", "a text", for messages.
    var typeName: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real"
        case .text: "a text"
        case .blob: "a blob"
        }
    }
}
