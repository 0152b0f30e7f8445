import Foundation
import Kube
import NIOCore

/// How a record's caller learns its fate.
enum WriterCompletion: Sendable {
    case promise(EventLoopPromise<Void>)
    case callback(@Sendable (Result<Void, StoreWriteError>) -> Void)

    /// Completing a promise from the writer thread runs its callbacks on the promise's event loop.
    func complete(_ result: Result<Void, StoreWriteError>) {
        switch self {
        case .promise(let promise):
            switch result {
            case .success: promise.succeed(())
            case .failure(let error): promise.fail(error)
            }
        case .callback(let callback):
            callback(result)
        }
    }
}

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

/// An episode during which records were refused: the store was unavailable or its queue full.
/// Written as a `store_outages` row once the store writes again and the backlog is in.
struct Incident: Sendable {
    var began: KubeTime
    var cause: String
    var refused = 0
    var recovered = 0
    var lost = 0
    var lastRefusal: Date

    init(began: KubeTime, cause: String) {
        self.began = began
        self.cause = cause
        self.lastRefusal = Date()
    }

    mutating func absorb(_ later: Incident) {
        refused += later.refused
        recovered += later.recovered
        lost += later.lost
        lastRefusal = max(lastRefusal, later.lastRefusal)
    }

    func row(at time: KubeTime) -> StoreRow {
        StoreRow(.storeOutages, [
            "at": .integer(time.microseconds), "began_at": .integer(began.microseconds), "cause": .text(cause),
            "refused": .integer(Int64(refused)), "recovered": .integer(Int64(recovered)), "lost": .integer(Int64(lost)),
        ])
    }
}

/// What the writer thread commits in one transaction.
struct WriterWork: Sendable {
    var entries: [WriterEntry]
    /// An outage to close in this transaction (written first).
    var incident: Incident?

    var rowCount: Int { entries.reduce(0) { $0 + $1.rows.count } + (incident == nil ? 0 : 1) }
}

/// How a transaction ended.
enum CommitResult: Sendable {
    /// Committed; entries at these indices were refused by the database for themselves.
    case committed(head: ChainHead, rejected: [Int: String], latency: Duration)
    case failed(reason: String)
}
