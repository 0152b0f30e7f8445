import Foundation
import Kube
import NIOCore

/// One record: rows committed together, in order, in one transaction.
struct WriterEntry: Sendable {
    var rows: [StoreRow]
    /// Names the record for ``StoreWriter/amend(key:_:)``.
    var key: String?
    /// nil once the caller has been told (a kept record), or when nobody waits.
    var completion: WriterCompletion?
    /// Refused when offered, held for later.
    var kept: Bool
    let size: Int

    init(rows: [StoreRow], key: String?, completion: WriterCompletion?) {
        self.rows = rows
        self.key = key
        self.completion = completion
        self.kept = false
        self.size = rows.reduce(0) { $0 + $1.approximateSize }
    }
}
