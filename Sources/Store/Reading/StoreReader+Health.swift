import GRDB

extension StoreReader {
    /// Requests by how they ended (`allowed`, `denied`, `rejected`, `unanswered`) received since
    /// `since` (microseconds since the epoch), and bypass attempts (`bypass`) since then.
    public func outcomeCounts(since: Int64) throws -> [String: Int] {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT \(RequestOutcome.countColumns) FROM \(RequestOutcome.requestJoins) WHERE r.received_at >= ?
                """, arguments: [since])
            var counts: [String: Int] = [:]
            for outcome in RequestOutcome.allCases { counts[outcome.rawValue] = row?[outcome.rawValue] ?? 0 }
            counts["bypass"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM guard_events WHERE at >= ?", arguments: [since]) ?? 0
            return counts
        }
    }

    /// When the oldest and the newest connection, request or guard event happened (microseconds
    /// since the epoch); nil for an empty store.
    public func recordSpan() throws -> (oldest: Int64?, newest: Int64?) {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT MIN(t) AS oldest, MAX(t) AS newest FROM (
                    SELECT MIN(opened_at) AS t FROM connections UNION ALL SELECT MAX(opened_at) FROM connections
                    UNION ALL SELECT MIN(received_at) FROM requests UNION ALL SELECT MAX(received_at) FROM requests
                    UNION ALL SELECT MIN(at) FROM guard_events UNION ALL SELECT MAX(at) FROM guard_events)
                """)
            return (row?["oldest"], row?["newest"])
        }
    }
}
