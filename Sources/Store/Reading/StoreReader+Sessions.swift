import GRDB
import Kube

extension StoreReader {
    /// The sessions the filter selects (see ``SessionFilter``), oldest first. With `limit`, only
    /// the most recent `limit` of them.
    public func sessions(matching filter: SessionFilter = SessionFilter(), limit: Int? = nil) throws -> [SessionSummary] {
        try database.read { db in try Self.sessions(filter, limit: limit, withoutRuns: false, db) }
    }

    /// The sessions of ``sessions(matching:limit:)``; with `withoutRuns`, only connections that
    /// carried no run's request (and refused connections and bypass attempts).
    static func sessions(_ filter: SessionFilter, limit: Int?, withoutRuns: Bool, _ db: Database) throws -> [SessionSummary] {
        do {
            // Summaries of connections cost three queries each: make them only for what is listed.
            var found: [(time: Int64, seq: Int64, session: FoundSession)] = []
            if filter.includesConnections() {
                let query = try SessionQuery.connections(filter, withoutRuns: withoutRuns, db)
                for row in try Row.fetchAll(db, sql: query.sql, arguments: query.arguments) {
                    let connection = RowDecoding.connection(row)
                    found.append((connection.openedAt, connection.seq, .connection(connection)))
                }
            }
            if filter.includesRefusedConnections() {
                let query = SessionQuery.refusedConnections(filter)
                for row in try Row.fetchAll(db, sql: query.sql, arguments: query.arguments) {
                    let connection = RowDecoding.connection(row)
                    found.append((connection.openedAt, connection.seq, .refused(connection)))
                }
            }
            if filter.includesGuardEvents() {
                let query = SessionQuery.guardEvents(filter)
                for row in try Row.fetchAll(db, sql: query.sql, arguments: query.arguments) {
                    let event = RowDecoding.guardEvent(row)
                    found.append((event.at, event.seq, .bypass(event)))
                }
            }
            found.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
            if let limit, found.count > limit { found.removeFirst(found.count - max(limit, 0)) }
            return try found.map { try Self.summary(of: $0.session, db) }
        }
    }

    private enum FoundSession {
        case connection(ConnectionRecord)
        case refused(ConnectionRecord)
        case bypass(GuardEventRecord)
    }

    private static func summary(of found: FoundSession, _ db: Database) throws -> SessionSummary {
        switch found {
        case .connection(let connection):
            return try summary(of: connection, db)
        case .refused(let c):
            return SessionSummary(kind: .refused, reference: c.reference, time: c.openedAt, seq: c.seq, endedAt: c.closedAt,
                                  caller: c.caller, cluster: c.cluster, destination: c.originalDestination, peer: c.peer, reason: c.reason)
        case .bypass(let event):
            return SessionSummary(kind: .bypass, reference: event.reference, time: event.at, seq: event.seq, caller: event.caller,
                                  destination: GuardEventRecord.endpoint(event.destination, event.destinationPort),
                                  reason: event.note, detail: event.summary)
        }
    }

    static func summary(of connection: ConnectionRecord, _ db: Database) throws -> SessionSummary {
        let counts = try Row.fetchOne(db, sql: """
            SELECT COUNT(r.id) AS total, \(RequestOutcome.countColumns)
            FROM \(RequestOutcome.requestJoins) WHERE r.connection_id = ?
            """, arguments: [connection.id])
        var outcomes: [RequestOutcome: Int] = [:]
        for outcome in RequestOutcome.allCases {
            let n: Int = counts?[outcome.rawValue] ?? 0
            if n > 0 { outcomes[outcome] = n }
        }
        let users = try String.fetchAll(db, sql: """
            SELECT username FROM requests WHERE connection_id = ? AND username IS NOT NULL GROUP BY username ORDER BY MIN(seq)
            """, arguments: [connection.id])
        let firstIntent = try String.fetchOne(db, sql: "SELECT intent FROM requests WHERE connection_id = ? ORDER BY seq LIMIT 1",
                                              arguments: [connection.id])
        return SessionSummary(kind: .connection, reference: connection.reference, time: connection.openedAt, seq: connection.seq,
                              endedAt: connection.closedAt, caller: connection.caller, usernames: users, cluster: connection.cluster,
                              destination: connection.originalDestination, peer: connection.peer,
                              requestCount: counts?["total"] ?? 0, outcomes: outcomes, firstIntent: firstIntent, reason: connection.endReason)
    }
}
