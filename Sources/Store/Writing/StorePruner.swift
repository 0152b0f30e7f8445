import Foundation
import GRDB
import Kube

/// Deletes the oldest rows and records where the chain now starts, so `verify` still passes.
///
/// The rows deleted are always a prefix of the chain: every row before the first row (in `seq`
/// order) whose time is at or after the cutoff. A checkpoint row is then appended at the head of
/// the chain, holding the last pruned row's `seq` and hash (the anchor the first remaining row
/// chains to). Everything happens in one immediate transaction, after verifying the chain: a
/// broken chain is never pruned (that would erase the evidence).
public struct StorePruner: Sendable {
    public let database: StoreDatabase

    public init(database: StoreDatabase) {
        self.database = database
    }

    public struct Result: Sendable, Hashable {
        /// Rows deleted.
        public var rowsPruned: Int
        /// The chain now starts after this `seq`; nil when nothing was old enough.
        public var prunedThroughSeq: Int64?
        /// The checkpoint row's `seq`.
        public var checkpointSeq: Int64?
    }

    public enum PruneError: Error, Sendable, CustomStringConvertible {
        /// The chain does not verify; pruning would destroy the evidence.
        case chainBroken(path: String, problem: ChainProblem)
        case database(path: String, message: String)

        public var description: String {
            switch self {
            case .chainBroken(let path, let problem):
                "refusing to prune \(path): the record does not verify (\(problem)); keep the file as evidence"
            case .database(let path, let message):
                "cannot prune \(path): \(message)"
            }
        }
    }

    /// Deletes rows older than `cutoff` (microseconds since the epoch, compared with each table's
    /// time column), but none after `keepingAfter` (the last row the central store holds, when
    /// the store is shipped), writes the checkpoint, then optionally `VACUUM`s.
    public func prune(olderThan cutoff: KubeTime, keepingAfter limit: Int64? = nil, now: KubeTime = StoreClock.now(),
                      vacuum: Bool = false) throws(PruneError) -> Result {
        let path = database.path
        do {
            let result = try database.pool.writeWithoutTransaction { db -> Result in
                var result = Result(rowsPruned: 0, prunedThroughSeq: nil, checkpointSeq: nil)
                try db.inTransaction(.immediate) {
                    let report = try StoreVerifier.verify(db)
                    if let problem = report.problem { throw PruneError.chainBroken(path: path, problem: problem) }
                    result = try pruneInTransaction(db, cutoff: cutoff, limit: limit, now: now, report: report)
                    return .commit
                }
                return result
            }
            if vacuum, result.rowsPruned > 0 {
                try database.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
            }
            return result
        } catch let error as PruneError {
            throw error
        } catch {
            throw .database(path: path, message: StoreDatabase.message(error))
        }
    }

    private func pruneInTransaction(_ db: Database, cutoff: KubeTime, limit: Int64?, now: KubeTime,
                                    report: VerificationReport) throws -> Result {
        let empty = Result(rowsPruned: 0, prunedThroughSeq: nil, checkpointSeq: nil)
        guard let firstSeq = report.firstSeq, let lastSeq = report.lastSeq else { return empty }
        // The first row, in chain order, that is not old enough: everything before it goes.
        var keepFrom = lastSeq + 1
        for table in StoreTable.all {
            if let seq = try Int64.fetchOne(db, sql: "SELECT min(seq) FROM \(table.name) WHERE \(table.timeColumn) >= ?",
                                            arguments: [cutoff.microseconds]) {
                keepFrom = min(keepFrom, seq)
            }
        }
        let through = min(keepFrom - 1, limit ?? Int64.max)
        guard through >= firstSeq else { return empty }
        guard let anchor = try [UInt8].fetchHash(db, table: try tableHolding(db, seq: through), seq: through) else { return empty }
        var pruned = 0
        for table in StoreTable.all {
            try db.execute(sql: "DELETE FROM \(table.name) WHERE seq <= ?", arguments: [through])
            pruned += db.changesCount
        }
        let head = ChainHead(seq: report.lastSeq ?? 0, hash: report.head)
        let row = StoreRow(.checkpoints, [
            "at": .integer(now.microseconds), "pruned_through_seq": .integer(through), "anchor_hash": .blob(anchor),
            "rows_pruned": .integer(Int64(pruned)),
        ])
        let seq = head.seq + 1
        let hash = RecordHasher.hash(of: row, seq: seq, previous: head.hash)
        guard let sql = database.insertSQL[StoreTable.checkpoints.name] else { return empty }
        var values: [DatabaseValue] = [seq.databaseValue, Data(hash).databaseValue]
        values += row.values.map(\.binding)
        try db.execute(sql: sql, arguments: StatementArguments(values))
        return Result(rowsPruned: pruned, prunedThroughSeq: through, checkpointSeq: seq)
    }

    private func tableHolding(_ db: Database, seq: Int64) throws -> String {
        for table in StoreTable.all
        where try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.name) WHERE seq = ?)", arguments: [seq]) ?? false {
            return table.name
        }
        return StoreTable.all[0].name
    }
}
