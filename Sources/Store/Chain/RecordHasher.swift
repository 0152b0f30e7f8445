import Crypto

/// The hash chain over every recorded row.
///
/// A row's canonical content is the table name and every column except `hash`, in schema order
/// (`seq` first), each as its name and a typed, length-prefixed value:
///
///     "portcullis-chain-1" | u64 len | table | u64 count | (u64 len | name | tag | value)*
///     tag 0 NULL · 1 INTEGER (8 bytes, big-endian two's complement) · 2 REAL (8 bytes, IEEE 754 bits)
///     tag 3 TEXT (u64 length, UTF-8) · 4 BLOB (u64 length, bytes)
///
/// Every field is self-delimiting, so two different rows (or the same values in two tables)
/// never share a canonical content. A column a later migration added (``StoreTable/laterColumns``)
/// is left out, name and all, while it is NULL: rows written before it existed keep their hash. `hash = SHA-256(previous hash ‖ canonical content)`; the first
/// row's previous hash is ``genesis`` (32 zero bytes) or, after pruning, a checkpoint's anchor.
public enum RecordHasher {
    public static let genesis = [UInt8](repeating: 0, count: 32)
    static let domain = Array("portcullis-chain-1".utf8)

    /// The canonical content of a row, from the column names and values in schema order
    /// (`hash` left out, `seq` included).
    public static func canonicalContent(table: String, columns: [(name: String, value: StoreValue)]) -> [UInt8] {
        let later = StoreTable.named(table)?.laterColumns ?? []
        let hashed = later.isEmpty ? columns : columns.filter { $0.value != .null || !later.contains($0.name) }
        var out = domain
        out.reserveCapacity(256)
        appendText(table, to: &out)
        appendLength(hashed.count, to: &out)
        for column in hashed {
            appendText(column.name, to: &out)
            append(column.value, to: &out)
        }
        return out
    }

    /// The canonical content of a row the writer is about to insert.
    public static func canonicalContent(of row: StoreRow, seq: Int64) -> [UInt8] {
        var out = domain
        out.reserveCapacity(256 + row.approximateSize)
        appendText(row.table.name, to: &out)
        let table = row.table
        var count = row.values.count + 1
        if !table.laterColumns.isEmpty {
            for (index, value) in row.values.enumerated() where value == .null && !table.hashesNull[index] { count -= 1 }
        }
        appendLength(count, to: &out)
        appendText("seq", to: &out)
        append(.integer(seq), to: &out)
        for (index, (name, value)) in zip(table.columns, row.values).enumerated() {
            if value == .null && !table.hashesNull[index] { continue }
            appendText(name, to: &out)
            append(value, to: &out)
        }
        return out
    }

    /// `SHA-256(previous ‖ content)`.
    public static func chain(previous: [UInt8], content: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: content)
        return Array(hasher.finalize())
    }

    public static func hash(of row: StoreRow, seq: Int64, previous: [UInt8]) -> [UInt8] {
        chain(previous: previous, content: canonicalContent(of: row, seq: seq))
    }

    private static func append(_ value: StoreValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(0)
        case .integer(let i):
            out.append(1)
            appendUInt64(UInt64(bitPattern: i), to: &out)
        case .real(let d):
            out.append(2)
            appendUInt64(d.bitPattern, to: &out)
        case .text(let s):
            out.append(3)
            appendText(s, to: &out)
        case .blob(let b):
            out.append(4)
            appendLength(b.count, to: &out)
            out.append(contentsOf: b)
        }
    }

    private static func appendText(_ text: String, to out: inout [UInt8]) {
        appendLength(text.utf8.count, to: &out)
        out.append(contentsOf: text.utf8)
    }

    private static func appendLength(_ count: Int, to out: inout [UInt8]) {
        appendUInt64(UInt64(count), to: &out)
    }

    private static func appendUInt64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, for messages.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
