/// A chained table as the central store mirrors it: `host`, `seq` and `hash`, then the local
/// table's columns, in its order, with their PostgreSQL types; primary key (`host`, `seq`).
///
/// Invariant: ``columns`` names exactly the local table's ``Store/StoreTable/columns``, in order,
/// with the types ``CentralColumnType`` maps them to (a test checks this against a fresh local
/// store). A column the local store gains needs a central migration that adds it here, with the
/// migration's version as its `since`.
public struct CentralMirroredTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: CentralColumnType
        /// The central migration that added it.
        public var since: Int
    }

    public var name: String
    public var columns: [Column]
    /// Extra indexes, each a list of columns after `host`.
    public var indexes: [[String]]
    /// The central migration that created the table.
    public var createdIn: Int

    init(_ name: String, _ columns: [(String, CentralColumnType)], indexes: [[String]] = [], later: [(String, CentralColumnType, Int)] = [],
         createdIn: Int = 1) {
        self.name = name
        self.columns = columns.map { Column(name: $0.0, type: $0.1, since: createdIn) }
            + later.map { Column(name: $0.0, type: $0.1, since: $0.2) }
        self.indexes = indexes
        self.createdIn = createdIn
    }

    public var qualifiedName: String { "\(CentralSchema.name).\(name)" }

    /// `ALTER TABLE … ADD COLUMN` for the columns migration `version` adds to a table it did not create.
    func addedColumnStatements(in version: Int) -> [String] {
        guard createdIn < version else { return [] }
        return columns.filter { $0.since == version }.map { "ALTER TABLE \(qualifiedName) ADD COLUMN \($0.name) \($0.type.rawValue)" }
    }

    /// `CREATE TABLE` with the columns of the migration that creates it. Every row must have its
    /// entry in `portcullis.chain` naming this table and its hash: so no two tables hold the same
    /// (`host`, `seq`), and the chain's hashes are the rows' own.
    func createStatement() -> String {
        let columns = self.columns.filter { $0.since == createdIn }.map { "    \($0.name) \($0.type.rawValue)" }
        return """
            CREATE TABLE \(qualifiedName) (
                host text NOT NULL,
                seq bigint NOT NULL,
                hash bytea NOT NULL,
            \(columns.joined(separator: ",\n")),
                table_name text NOT NULL GENERATED ALWAYS AS ('\(name)') STORED,
                PRIMARY KEY (host, seq),
                FOREIGN KEY (host, seq, table_name, hash) REFERENCES \(CentralSchema.name).chain (host, seq, table_name, hash)
            )
            """
    }

    func indexStatements() -> [String] {
        indexes.map { columns in
            "CREATE INDEX \(name)_by_\(columns.joined(separator: "_")) ON \(qualifiedName) (host, \(columns.joined(separator: ", ")))"
        }
    }
}
