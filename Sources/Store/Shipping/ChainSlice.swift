import GRDB

/// Reads committed rows of the chain in `seq` order, across every chained table, for shipping.
///
/// Invariants:
/// - Only rows with `after < seq <= through` are read; `through` must not exceed the committed
///   head, so every row read is committed and will not change.
/// - At least one row is returned when one exists in range, even one larger than `maxBytes`; after
///   that, reading stops before `maxRows` or `maxBytes` would be exceeded. The rows returned are
///   therefore always a prefix, in `seq` order, of the range.
public enum ChainSlice {
    public static func read(_ database: StoreDatabase, after: Int64, through: Int64, maxRows: Int,
                            maxBytes: Int) throws -> [StoredRow] {
        guard through > after else { return [] }
        return try database.pool.read { db in try read(db, after: after, through: through, maxRows: maxRows, maxBytes: maxBytes) }
    }

    public static func read(_ db: Database, after: Int64, through: Int64, maxRows: Int, maxBytes: Int) throws -> [StoredRow] {
        var cursors: [(table: StoreTable, cursor: RowCursor, next: StoredRow?)] = []
        for table in StoreTable.all {
            let columns = (["seq", "hash"] + table.columns).joined(separator: ", ")
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(table.name) WHERE seq > ? AND seq <= ? ORDER BY seq",
                                             arguments: [after, through])
            cursors.append((table, cursor, try cursor.next().map { storedRow(table, $0) }))
        }
        var rows: [StoredRow] = []
        var bytes = 0
        while rows.count < maxRows {
            var best: Int?
            for index in cursors.indices {
                guard let row = cursors[index].next else { continue }
                if let b = best, let current = cursors[b].next, current.seq <= row.seq { continue }
                best = index
            }
            guard let index = best, let row = cursors[index].next else { break }
            if !rows.isEmpty, bytes + row.approximateSize > maxBytes { break }
            rows.append(row)
            bytes += row.approximateSize
            cursors[index].next = try cursors[index].cursor.next().map { storedRow(cursors[index].table, $0) }
        }
        return rows
    }

    static func storedRow(_ table: StoreTable, _ row: Row) -> StoredRow {
        let values = Array(row.databaseValues.map(StoreValue.init))
        return StoredRow(table: table, seq: values[0].integerValue ?? 0, hash: values[1].blobValue ?? [],
                         values: Array(values.dropFirst(2)))
    }
}

extension ChainSlice {
    /// `seq` and `hash` of every row with `from <= seq <= through`, in `seq` order: for comparing
    /// the local chain with the copy the central store holds.
    public static func hashes(_ database: StoreDatabase, from: Int64, through: Int64) throws -> [(seq: Int64, hash: [UInt8])] {
        try database.pool.read { db in
            var found: [(seq: Int64, hash: [UInt8])] = []
            for table in StoreTable.all {
                for row in try Row.fetchAll(db, sql: "SELECT seq, hash FROM \(table.name) WHERE seq BETWEEN ? AND ?", arguments: [from, through]) {
                    let hash = StoreValue(row[1] as DatabaseValue).blobValue ?? []
                    found.append((row[0], hash))
                }
            }
            return found.sorted { $0.seq < $1.seq }
        }
    }

    /// The first `seq` the local chain holds, nil when it is empty.
    public static func firstSeq(_ database: StoreDatabase) throws -> Int64? {
        try database.pool.read { db in
            try StoreTable.all.compactMap { try Int64.fetchOne(db, sql: "SELECT min(seq) FROM \($0.name)") }.min()
        }
    }
}
