import Foundation
import GRDB
import GRDBSQLite

/// Inserts one chained row through a prepared (cached) statement by binding its values straight
/// to SQLite, without building `DatabaseValue`s and `StatementArguments` for every column. Used
/// only by the writer thread, inside the transaction ``BatchCommitter`` opened.
///
/// Invariants:
/// - Every value is bound exactly as ``StoreValue/binding`` would bind it: an empty blob as an
///   empty text (the insert casts it back to a blob), so the stored row and its hash agree.
/// - Text and blobs are bound with `SQLITE_TRANSIENT`: SQLite copies them before this returns.
/// - The statement is reset and its bindings cleared afterwards, whatever the outcome, so the
///   cached statement is left as GRDB expects to find it.
/// - A failed step throws a `DatabaseError` with SQLite's result code, so a row-specific refusal
///   (a constraint) is recognised as one.
enum RowInsertion {
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func insert(_ row: StoreRow, seq: Int64, hash: [UInt8], with statement: Statement, in db: Database) throws {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var code = sqlite3_bind_int64(handle, 1, seq)
        if code == SQLITE_OK { code = bind(hash, at: 2, to: handle) }
        var index: Int32 = 3
        for value in row.values where code == SQLITE_OK {
            code = bind(value, at: index, to: handle)
            index += 1
        }
        if code == SQLITE_OK { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else {
            let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }

    private static func bind(_ value: StoreValue, at index: Int32, to handle: OpaquePointer) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let i):
            return sqlite3_bind_int64(handle, index, i)
        case .real(let d):
            return sqlite3_bind_double(handle, index, d)
        case .text(var s):
            return s.withUTF8 { text in
                text.withMemoryRebound(to: CChar.self) { chars in
                    guard let base = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                    return sqlite3_bind_text(handle, index, base, Int32(chars.count), transient)
                }
            }
        case .blob(let bytes):
            guard !bytes.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, transient) }
            return bind(bytes, at: index, to: handle)
        }
    }

    private static func bind(_ bytes: [UInt8], at index: Int32, to handle: OpaquePointer) -> Int32 {
        bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
    }
}
