import Foundation
import GRDB

extension StoreVerifier {
    /// Whether a row of the chain (or a checkpoint's anchor, when that row was pruned) carries the
    /// hash `hex`: a head kept from an earlier verify is still part of the record, so no rows were
    /// removed from the end since.
    public static func contains(head hex: String, in database: StoreDatabase) throws -> Bool {
        guard let bytes = hexBytes(hex) else { return false }
        let hash = Data(bytes)
        return try database.pool.read { db in
            for table in StoreTable.all {
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.name) WHERE hash = ?)", arguments: [hash]) == true {
                    return true
                }
            }
            return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM checkpoints WHERE anchor_hash = ?)", arguments: [hash]) == true
        }
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
