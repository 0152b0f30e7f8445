import Foundation
import Kube
import NIOCore

/// What the writer thread commits in one transaction.
struct WriterWork: Sendable {
    var entries: [WriterEntry]
    /// An outage to close in this transaction (written first).
    var incident: Incident?

    var rowCount: Int { entries.reduce(0) { $0 + $1.rows.count } + (incident == nil ? 0 : 1) }
}
