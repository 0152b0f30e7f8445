import Foundation
import GRDB

/// One column value of a recorded row, typed the way SQLite stores it. The chain hashes these
/// typed values (see ``RecordHasher``), so NULL, an integer, a text and a blob never hash alike.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: String?) { self = value.map(StoreValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(StoreValue.integer) ?? .null }
    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    public init(_ value: [UInt8]?) { self = value.map(StoreValue.blob) ?? .null }

    /// The value as SQLite returned it.
    public init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .blob([UInt8](data))
        }
    }

    /// The value to bind. An empty blob is bound as an empty text that the insert casts to a blob
    /// (`CAST(? AS BLOB)`), because SQLite binds a zero-length blob with no buffer as NULL.
    var binding: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): b.isEmpty ? "".databaseValue : Data(b).databaseValue
        }
    }

    public var integerValue: Int64? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var textValue: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var blobValue: [UInt8]? {
        if case .blob(let b) = self { return b }
        return nil
    }

    /// Bytes the value occupies, for bounding memory held in queues.
    public var approximateSize: Int {
        switch self {
        case .null, .integer, .real: 8
        case .text(let s): s.utf8.count
        case .blob(let b): b.count
        }
    }
}
