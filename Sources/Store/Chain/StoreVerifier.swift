import GRDB

/// Walks every chained table merged by `seq`, recomputes each row's hash and reports the first
/// row that was altered, deleted or reordered.
///
/// What the chain shows: any change to a row's content or hash; a row removed from the middle or
/// the start (a `seq` gap, or a start no checkpoint explains); rows whose `seq`s were swapped or
/// renumbered. What it cannot show alone: rows removed from the very end, or a chain recomputed
/// from scratch by someone who can write the file; compare ``VerificationReport/head`` with a copy
/// kept elsewhere for that.
public enum StoreVerifier {
    /// How far around a mismatching row to look for the `seq` it was written with.
    static let reorderWindow: Int64 = 16

    public static func verify(_ database: StoreDatabase) throws -> VerificationReport {
        try database.pool.read { db in try verify(db) }
    }

    /// Verifies inside the caller's transaction (e.g. `prune`, before it deletes anything).
    ///
    /// `anchor`: where a copy of the chain may start besides seq 1 and its own checkpoints (the
    /// central store's `prune --central` keeps it apart from the host's chain): a chain whose first
    /// row is `anchor.seq + 1` chains from `anchor.hash`.
    public static func verify(_ db: Database, anchor external: ChainHead? = nil) throws -> VerificationReport {
        var walk = try MergedWalk(db)
        var report = VerificationReport(rowsChecked: 0, firstSeq: nil, lastSeq: nil, head: RecordHasher.genesis,
                                        prunedThroughSeq: nil, problem: nil)
        var previous = RecordHasher.genesis
        var lastSeq: Int64?
        var anchor: Checkpoint?
        while let row = try walk.next() {
            if let last = lastSeq {
                if row.seq == last {
                    report.problem = ChainProblem(kind: .duplicateSeq, table: row.table, seq: row.seq, record: row.record,
                                                  detail: "another row already carries seq \(row.seq)")
                    return report
                }
                if row.seq != last + 1 {
                    report.problem = ChainProblem(kind: .deleted(missing: (last + 1)...(row.seq - 1)), table: row.table, seq: row.seq,
                                                  record: row.record, detail: missingText(last + 1, row.seq - 1))
                    return report
                }
            } else {
                report.firstSeq = row.seq
                if let external, row.seq == external.seq + 1 {
                    previous = external.hash
                    report.prunedThroughSeq = external.seq
                } else if row.seq != 1 {
                    switch try start(db, firstSeq: row.seq, row: row) {
                    case .anchored(let checkpoint):
                        anchor = checkpoint
                        previous = checkpoint.anchor
                        report.prunedThroughSeq = checkpoint.prunedThrough
                    case .problem(let problem):
                        report.problem = problem
                        return report
                    }
                }
            }
            if RecordHasher.chain(previous: previous, content: row.content()) != row.hash {
                report.problem = try diagnose(db, row: row, previous: previous, anchor: lastSeq == nil ? anchor : nil)
                return report
            }
            previous = row.hash
            lastSeq = row.seq
            report.rowsChecked += 1
            report.lastSeq = row.seq
            report.head = row.hash
        }
        return report
    }

    // MARK: - The start of the chain

    struct Checkpoint {
        var row: ChainRow
        var prunedThrough: Int64
        var anchor: [UInt8]
    }

    private enum Start {
        case anchored(Checkpoint)
        case problem(ChainProblem)
    }

    /// A chain that does not start at seq 1 must start right after a checkpoint's pruned rows.
    private static func start(_ db: Database, firstSeq: Int64, row: ChainRow) throws -> Start {
        let checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY seq DESC")
            .compactMap { ChainRow(table: "checkpoints", row: $0) }
            .compactMap { row -> Checkpoint? in
                guard let through = row.value("pruned_through_seq")?.integerValue,
                      let anchor = row.value("anchor_hash")?.blobValue else { return nil }
                return Checkpoint(row: row, prunedThrough: through, anchor: anchor)
            }
        if let match = checkpoints.first(where: { $0.prunedThrough == firstSeq - 1 }) { return .anchored(match) }
        for checkpoint in checkpoints where try !isIntact(db, checkpoint) {
            return .problem(alteredCheckpoint(checkpoint))
        }
        let why = checkpoints.isEmpty ? "and no checkpoint says they were pruned"
            : "and no checkpoint says they were pruned (the latest says rows through seq \(checkpoints[0].prunedThrough))"
        return .problem(ChainProblem(kind: .deleted(missing: 1...(firstSeq - 1)), table: row.table, seq: row.seq, record: row.record,
                                     detail: missingText(1, firstSeq - 1) + " " + why))
    }

    /// Whether a checkpoint's own hash follows from the row before it (or, when every row before
    /// it was pruned, from its own anchor).
    private static func isIntact(_ db: Database, _ checkpoint: Checkpoint) throws -> Bool {
        let seq = checkpoint.row.seq
        let previous: [UInt8]
        if let before = try fetchRow(db, seq: seq - 1) {
            previous = before.hash
        } else if checkpoint.prunedThrough == seq - 1 {
            previous = checkpoint.anchor
        } else {
            return true
        }
        return RecordHasher.chain(previous: previous, content: checkpoint.row.content()) == checkpoint.row.hash
    }

    private static func alteredCheckpoint(_ checkpoint: Checkpoint) -> ChainProblem {
        ChainProblem(kind: .altered, table: "checkpoints", seq: checkpoint.row.seq, record: nil,
                     detail: "the checkpoint that says where the chain starts was altered: its hash does not match its content")
    }

    // MARK: - Diagnosis

    /// Why a row's hash does not follow: a changed checkpoint anchoring it, a `seq` it was not
    /// written with, or an altered row.
    private static func diagnose(_ db: Database, row: ChainRow, previous: [UInt8], anchor: Checkpoint?) throws -> ChainProblem {
        if let anchor, try !isIntact(db, anchor) { return alteredCheckpoint(anchor) }
        let window = try fetchRows(db, from: row.seq - reorderWindow, through: row.seq + reorderWindow)
        var previousCandidates = [previous, RecordHasher.genesis] + window.map(\.hash)
        if let anchor { previousCandidates.append(anchor.anchor) }
        let seqCandidates = Set(window.map(\.seq)).union((row.seq - reorderWindow)...(row.seq + reorderWindow))
        for seq in seqCandidates.sorted() where seq != row.seq && seq > 0 {
            let content = row.content(asSeq: seq)
            for candidate in previousCandidates where RecordHasher.chain(previous: candidate, content: content) == row.hash {
                return ChainProblem(kind: .reordered(writtenAs: seq), table: row.table, seq: row.seq, record: row.record,
                                    detail: "it was written as seq \(seq): rows were swapped or renumbered")
            }
        }
        let detail = anchor != nil
            ? "its hash does not follow from its content and the checkpoint's anchor"
            : "its hash does not match its content and the row before it (the row was changed, or the row before it "
                + "was rewritten with a recomputed hash)"
        return ChainProblem(kind: .altered, table: row.table, seq: row.seq, record: row.record, detail: detail)
    }

    static func fetchRow(_ db: Database, seq: Int64) throws -> ChainRow? {
        try fetchRows(db, from: seq, through: seq).first
    }

    static func fetchRows(_ db: Database, from: Int64, through: Int64) throws -> [ChainRow] {
        var rows: [ChainRow] = []
        for table in try MergedWalk.tables(db) {
            let found = try Row.fetchAll(db, sql: "SELECT * FROM \(table) WHERE seq BETWEEN ? AND ? ORDER BY seq",
                                         arguments: [from, through])
            rows += found.compactMap { ChainRow(table: table, row: $0) }
        }
        return rows.sorted { $0.seq < $1.seq }
    }

    private static func missingText(_ from: Int64, _ through: Int64) -> String {
        from == through ? "the row with seq \(from) is missing" : "the rows with seq \(from) to \(through) are missing"
    }
}

/// Every chained table's rows in `seq` order, merged: one cursor per table.
struct MergedWalk {
    private var cursors: [(table: String, cursor: RowCursor, next: ChainRow?)] = []

    init(_ db: Database) throws {
        for table in try Self.tables(db) {
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \(table) ORDER BY seq")
            let first = try cursor.next().flatMap { ChainRow(table: table, row: $0) }
            cursors.append((table, cursor, first))
        }
    }

    /// The chained tables the store has (an older store may lack the newest).
    static func tables(_ db: Database) throws -> [String] {
        let existing = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
        return StoreSchema.chainedTables.filter(existing.contains)
    }

    mutating func next() throws -> ChainRow? {
        var best: Int?
        for (index, entry) in cursors.enumerated() {
            guard let row = entry.next else { continue }
            if let b = best, let current = cursors[b].next, current.seq <= row.seq { continue }
            best = index
        }
        guard let index = best, let row = cursors[index].next else { return nil }
        let table = cursors[index].table
        cursors[index].next = try cursors[index].cursor.next().flatMap { ChainRow(table: table, row: $0) }
        return row
    }
}
