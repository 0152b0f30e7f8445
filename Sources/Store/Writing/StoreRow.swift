/// A row for a chained table, without `seq` and `hash`: the writer assigns both when it commits.
///
/// Values are kept in the table's schema order; a column not given is NULL.
public struct StoreRow: Sendable, Hashable {
    public let table: StoreTable
    public private(set) var values: [StoreValue]

    /// A row from column names and values. A name the table does not have is a programming error
    /// (caught in debug builds) and is ignored otherwise.
    public init(_ table: StoreTable, _ columns: KeyValuePairs<String, StoreValue>) {
        self.table = table
        values = Array(repeating: .null, count: table.columns.count)
        for (name, value) in columns {
            guard let index = table.index(of: name) else {
                assertionFailure("table \(table.name) has no column \(name)")
                continue
            }
            values[index] = value
        }
    }

    /// The value of `column`; NULL for an unknown column. Setting an unknown column does nothing.
    public subscript(column: String) -> StoreValue {
        get { table.index(of: column).map { values[$0] } ?? .null }
        set {
            guard let index = table.index(of: column) else { return }
            values[index] = newValue
        }
    }

    /// Bytes of the row's values, for bounding memory held in queues.
    public var approximateSize: Int { values.reduce(64) { $0 + $1.approximateSize } }
}
