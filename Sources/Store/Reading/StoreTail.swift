import GRDB
import Kube
import Synchronization

/// Follows the record as it is committed, for `portcullis tail`: each call of ``next()`` returns
/// the decisions committed since the last one, in commit order.
///
/// Invariants:
/// - It reads committed rows only, in read transactions of the WAL store, so it never holds the
///   writer back; a slow reader only falls behind.
/// - The gateway has one writer that commits rows in `seq` order, so a snapshot holds every row up
///   to its highest `seq`: the cursor moves to that `seq` and nothing is skipped or seen twice.
/// - A request is reported once its outcome is known (its response, or the gateway's refusal, is
///   committed); a long-running request (watch, exec, logs -f) and one held for review when its
///   request is committed instead, since their end may be far off; a review when it is decided.
/// - Each call reads at most ``batchSpan`` rows of commit order, so one call stays short however
///   far behind the tail is.
public final class StoreTail: Sendable {
    public let reader: StoreReader
    public let filter: SessionFilter
    public static let batchSpan: Int64 = 20_000
    private let cursor: Mutex<Int64>

    /// From now (the last committed row), or from the first row at or after `since` (microseconds).
    public init(reader: StoreReader, filter: SessionFilter, since: Int64? = nil) throws {
        self.reader = reader
        self.filter = filter
        let start = try reader.database.read { db -> Int64 in
            guard let since else { return try Self.lastSeq(db) }
            let first = try Int64.fetchOne(db, sql: """
                SELECT min(s) FROM (
                    SELECT min(seq) AS s FROM requests WHERE received_at >= ?1
                    UNION ALL SELECT min(seq) FROM connections WHERE opened_at >= ?1
                    UNION ALL SELECT min(seq) FROM guard_events WHERE at >= ?1)
                """, arguments: [since])
            if let first { return first - 1 }
            return try Self.lastSeq(db)
        }
        cursor = Mutex(start)
    }

    /// The commit position the next call starts after.
    public var position: Int64 { cursor.withLock { $0 } }

    /// The decisions committed since the last call (at most a batch), oldest first.
    public func next() throws -> [TailEntry] {
        let from = position
        let (entries, upTo) = try reader.database.read { db -> ([TailEntry], Int64) in
            let upTo = min(try Self.lastSeq(db), from + Self.batchSpan)
            guard upTo > from else { return ([], from) }
            var found = try requests(db, after: from, upTo: upTo)
            found += try refused(db, after: from, upTo: upTo)
            found += try bypasses(db, after: from, upTo: upTo)
            return (found.sorted { $0.seq < $1.seq }, upTo)
        }
        cursor.withLock { $0 = max($0, upTo) }
        return entries
    }

    static func lastSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT max(m) FROM (SELECT max(seq) AS m FROM requests UNION ALL SELECT max(seq) FROM responses
                UNION ALL SELECT max(seq) FROM reviews UNION ALL SELECT max(seq) FROM connections UNION ALL SELECT max(seq) FROM guard_events)
            """) ?? 0
    }

    /// Requests whose response, refusal or review was committed in the range, and long-running or
    /// held requests committed in it.
    private func requests(_ db: Database, after from: Int64, upTo: Int64) throws -> [TailEntry] {
        guard filter.includesConnections() else { return [] }
        var where_ = Clauses()
        // Candidates by primary-key ranges, so a poll costs what it reads, not the table's size.
        where_.add("""
            r.id IN (SELECT id FROM requests WHERE seq > ? AND seq <= ?
                     UNION SELECT request_id FROM responses WHERE seq > ? AND seq <= ?
                     UNION SELECT request_id FROM reviews WHERE seq > ? AND seq <= ?)
            """, [from, upTo, from, upTo, from, upTo])
        try where_.requestFields(filter, db)
        where_.connectionFields(filter)
        where_.timeRange("r.received_at", filter)
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(RowDecoding.requestColumns(bodies: false)), r.seq AS request_seq, p.seq AS response_seq, v.seq AS review_seq
            FROM \(RowDecoding.requestFrom) WHERE \(where_.text) ORDER BY r.seq
            """, arguments: StatementArguments(where_.arguments))
        var entries: [TailEntry] = []
        for row in rows {
            let r = RowDecoding.request(row)
            let inRange = { (seq: Int64?) in seq.map { $0 > from && $0 <= upTo } ?? false }
            let early = r.decision == "review" || (r.isLongRunning && r.decision != "deny")
            if inRange(row["request_seq"]), early {
                entries.append(entry(r, seq: row["request_seq"], time: r.receivedAt, decision: r.decision ?? "-", answered: false))
            }
            if inRange(row["review_seq"]), let review = r.review {
                var e = entry(r, seq: row["review_seq"], time: review.at, decision: review.outcome, answered: false)
                e.kind = .review
                e.reason = review.reason
                entries.append(e)
            }
            // A stream's end adds nothing to its start, unless the gateway refused it after all.
            if inRange(row["response_seq"]), !(r.isLongRunning && r.decision != "deny" && r.response?.rejected == false) {
                entries.append(entry(r, seq: row["response_seq"], time: r.receivedAt, decision: r.finalDecision ?? "-", answered: true))
            }
        }
        return entries
    }

    private func entry(_ r: RecordedRequest, seq: Int64, time: Int64, decision: String, answered: Bool) -> TailEntry {
        var reason: String?
        if answered, let response = r.response {
            if response.rejected { reason = response.reason } else if let status = ResponseText.status(response), status.status != Status.success {
                reason = ResponseText.errorLine(status)
            }
        }
        if r.finalDecision == "deny", reason == nil { reason = r.decisionReason }
        return TailEntry(seq: seq, time: time, kind: .request, reference: r.reference, runID: r.runID, caller: r.caller ?? CallerRecord(),
                         username: r.identity?.username, intent: r.intent, decision: decision,
                         outcome: answered ? r.outcome.rawValue : (r.isLongRunning ? "streaming" : "held"),
                         status: answered ? r.response?.statusCode : nil, reason: reason)
    }

    private func refused(_ db: Database, after from: Int64, upTo: Int64) throws -> [TailEntry] {
        guard filter.includesRefusedConnections() else { return [] }
        var where_ = Clauses()
        where_.add("c.outcome = 'refused' AND c.seq > ? AND c.seq <= ?", [from, upTo])
        where_.connectionFields(filter)
        where_.timeRange("c.opened_at", filter)
        return try Row.fetchAll(db, sql: "SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom) WHERE \(where_.text)",
                                arguments: StatementArguments(where_.arguments)).map { row in
            let c = RowDecoding.connection(row)
            return TailEntry(seq: c.seq, time: c.openedAt, kind: .refused, reference: c.reference, caller: c.caller,
                             intent: "connect to " + (c.originalDestination ?? "an unknown destination") + " from \(c.peer)",
                             decision: "refused", reason: c.reason)
        }
    }

    private func bypasses(_ db: Database, after from: Int64, upTo: Int64) throws -> [TailEntry] {
        guard filter.includesGuardEvents() else { return [] }
        let query = SessionQuery.guardEvents(filter)
        return try Row.fetchAll(db, sql: query.sql + " AND g.seq > ? AND g.seq <= ?",
                                arguments: query.arguments + [from, upTo]).map { row in
            let g = RowDecoding.guardEvent(row)
            return TailEntry(seq: g.seq, time: g.at, kind: .bypass, reference: g.reference, caller: g.caller, intent: g.summary,
                             decision: "dropped", reason: g.note)
        }
    }
}
