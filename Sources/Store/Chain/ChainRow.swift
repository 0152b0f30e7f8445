import GRDB

/// A row as the verifier reads it back: every column but `hash`, in the table's order.
struct ChainRow: Sendable {
    let table: String
    let seq: Int64
    let hash: [UInt8]
    let columns: [(name: String, value: StoreValue)]

    init?(table: String, row: Row) {
        var seq: Int64?
        var hash: [UInt8] = []
        var columns: [(name: String, value: StoreValue)] = []
        columns.reserveCapacity(row.count)
        for (name, dbValue) in zip(row.columnNames, row.databaseValues) {
            let value = StoreValue(dbValue)
            if name == "hash" {
                hash = value.blobValue ?? []
                continue
            }
            if name == "seq" { seq = value.integerValue }
            columns.append((name, value))
        }
        guard let seq else { return nil }
        self.table = table
        self.seq = seq
        self.hash = hash
        self.columns = columns
    }

    /// The canonical content, optionally as if the row carried another `seq`.
    func content(asSeq other: Int64? = nil) -> [UInt8] {
        guard let other else { return RecordHasher.canonicalContent(table: table, columns: columns) }
        let replaced = columns.map { $0.name == "seq" ? (name: "seq", value: StoreValue.integer(other)) : $0 }
        return RecordHasher.canonicalContent(table: table, columns: replaced)
    }

    func value(_ column: String) -> StoreValue? { columns.first { $0.name == column }?.value }

    /// `request_id 42`, for messages.
    var record: String? {
        guard let column = StoreTable.named(table)?.recordColumn, let value = value(column) else { return nil }
        switch value {
        case .integer(let i): return "\(column) \(i)"
        case .text(let s): return "\(column) \(s)"
        default: return nil
        }
    }
}
