/// A mirrored column's PostgreSQL type, from the SQLite type the local store declares.
///
/// The chain hashes typed values (``Store/StoreValue``), so a value keeps its type on the way:
/// INTEGER ↔ `bigint`, TEXT ↔ `text`, BLOB ↔ `bytea`, REAL ↔ `double precision`.
public enum CentralColumnType: String, Sendable, Hashable, CaseIterable {
    case bigint
    case text
    case bytea
    case double = "double precision"

    /// The type mirroring a SQLite declared type, or nil for one the store never declares.
    public init?(sqliteType: String) {
        switch sqliteType.uppercased() {
        case "INTEGER": self = .bigint
        case "TEXT": self = .text
        case "BLOB": self = .bytea
        case "REAL": self = .double
        default: return nil
        }
    }
}
