import Foundation
import GRDB
import Logging

/// Commits one batch: assigns `seq`s, chains the hashes and inserts every row in one immediate
/// transaction. Used only by the writer thread.
///
/// Invariants:
/// - The chain head is known inside the transaction (after `BEGIN IMMEDIATE`), so rows another
///   process appended (a `prune` checkpoint) are chained after, never beside: it is read from the
///   tables unless the store's ``StoreChangeMark`` is the one this writer saw right after its own
///   last commit, when nothing else can have written and the head it committed is the head.
/// - The head only moves forward: if the store's last rows vanished (deleted from the tail) or
///   the last row changed, the writer keeps chaining from the head it committed itself, so the
///   gap or the mismatch stays visible to `verify` instead of being papered over.
/// - A row the database refuses for itself (a constraint) is isolated with savepoints and
///   rejected alone; it never holds up the other records.
final class BatchCommitter: @unchecked Sendable {
    private let database: StoreDatabase
    private let logger: Logger
    /// The last head this process committed; touched only on the writer thread.
    private var committedHead: ChainHead?
    /// The store's change mark right after that commit; nil until a commit succeeds, and after a failure.
    private var markAfterCommit: StoreChangeMark?

    init(database: StoreDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    func commit(_ work: WriterWork) -> CommitResult {
        let result = commitOrFail(work)
        if case .failed = result { markAfterCommit = nil }
        return result
    }

    private func commitOrFail(_ work: WriterWork) -> CommitResult {
        if let reason = database.unwritableReason() { return .failed(reason: reason) }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let (head, rejected) = try attempt(work, isolating: false)
            committedHead = head
            return .committed(head: head, rejected: rejected, latency: clock.now - start)
        } catch let error as DatabaseError where Self.isRowSpecific(error) {
            logger.warning("a record was refused by the store; retrying its batch record by record",
                           metadata: ["error": "\(StoreDatabase.message(error))"])
            do {
                let (head, rejected) = try attempt(work, isolating: true)
                committedHead = head
                return .committed(head: head, rejected: rejected, latency: clock.now - start)
            } catch {
                return .failed(reason: Self.describe(error))
            }
        } catch {
            return .failed(reason: Self.describe(error))
        }
    }

    private func attempt(_ work: WriterWork, isolating: Bool) throws -> (ChainHead, [Int: String]) {
        let time = StoreClock.now()
        return try database.pool.writeWithoutTransaction { db in
            var head = ChainHead.genesis
            var rejected: [Int: String] = [:]
            try ImmediateTransaction.run(db) {
                head = try currentHead(db)
                rejected = [:]
                if let incident = work.incident { try insert(incident.row(at: time), head: &head, db) }
                for (index, entry) in work.entries.enumerated() {
                    guard isolating else {
                        for row in entry.rows { try insert(row, head: &head, db) }
                        continue
                    }
                    var local = head
                    do {
                        try db.inSavepoint {
                            for row in entry.rows { try insert(row, head: &local, db) }
                            return .commit
                        }
                        head = local
                    } catch let error as DatabaseError where Self.isRowSpecific(error) {
                        rejected[index] = StoreDatabase.message(error)
                    }
                }
            }
            markAfterCommit = try? StoreChangeMark.read(db)   // nil: the next commit reads the head
            return (head, rejected)
        }
    }

    private func insert(_ row: StoreRow, head: inout ChainHead, _ db: Database) throws {
        guard let sql = database.insertSQL[row.table.name] else {
            throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no table \(row.table.name) in the store")
        }
        let seq = head.seq + 1
        let hash = RecordHasher.hash(of: row, seq: seq, previous: head.hash)
        try RowInsertion.insert(row, seq: seq, hash: hash, with: db.cachedStatement(sql: sql), in: db)
        head = ChainHead(seq: seq, hash: hash)
    }

    /// The head to chain on: the one this writer committed last while the store's change mark says
    /// nothing else wrote since, otherwise the one read from the tables.
    private func currentHead(_ db: Database) throws -> ChainHead {
        if let committedHead, let markAfterCommit, try StoreChangeMark.read(db) == markAfterCommit { return committedHead }
        return try resolveHead(db)
    }

    private func resolveHead(_ db: Database) throws -> ChainHead {
        let stored = try ChainHead.read(db)
        guard let committed = committedHead else { return stored }
        if stored.seq > committed.seq { return stored }
        if stored.seq < committed.seq {
            logger.error("""
                rows after seq \(stored.seq) are missing from the store (this process wrote up to \(committed.seq)); \
                chaining on from seq \(committed.seq) so that verify reports the gap
                """)
        } else if stored.hash != committed.hash {
            logger.error("the last row (seq \(stored.seq)) no longer carries the hash this process wrote; verify will report it")
        }
        return committed
    }

    static func isRowSpecific(_ error: DatabaseError) -> Bool {
        [.SQLITE_CONSTRAINT, .SQLITE_TOOBIG, .SQLITE_MISMATCH, .SQLITE_RANGE].contains(error.resultCode)
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        let code = "\(error.extendedResultCode)"
        guard let message = error.message, !message.isEmpty else { return code }
        return "\(message) (\(code))"
    }
}
