/// A committed row of the chain exactly as stored: its table, `seq`, `hash` and the values of the
/// table's other columns in ``StoreTable/columns`` order. What the central shipper copies, and what
/// a copy read back from PostgreSQL is imported as.
public struct StoredRow: Sendable, Hashable {
    public let table: StoreTable
    public let seq: Int64
    public let hash: [UInt8]
    public let values: [StoreValue]

    public init(table: StoreTable, seq: Int64, hash: [UInt8], values: [StoreValue]) {
        self.table = table
        self.seq = seq
        self.hash = hash
        self.values = values
    }

    /// Bytes of the row's values, for bounding batches.
    public var approximateSize: Int { values.reduce(64 + hash.count) { $0 + $1.approximateSize } }

    /// The hash this row's content chains to from `previous`: equal to ``hash`` when the row is intact.
    public func expectedHash(previous: [UInt8]) -> [UInt8] {
        RecordHasher.chain(previous: previous,
                           content: RecordHasher.canonicalContent(table: table.name,
                                                                  columns: [("seq", .integer(seq))] + zip(table.columns, values).map { ($0, $1) }))
    }
}
