import GRDB
import Kube

extension StoreReader {
    /// `sessions` by default: the runs the filter selects, and what belongs to no run (connections
    /// that carried no authenticated request, refused connections, bypass attempts), oldest first.
    /// With `limit`, only the most recent `limit` of them.
    public func overview(matching filter: SessionFilter = SessionFilter(), limit: Int? = nil) throws -> [SessionEntry] {
        try database.read { db in
            var entries = try Self.runs(filter, limit: limit, db).map(SessionEntry.run)
            entries += try Self.sessions(filter, limit: limit, withoutRuns: true, db).map(SessionEntry.session)
            entries.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
            if let limit, entries.count > limit { entries.removeFirst(entries.count - max(limit, 0)) }
            return entries
        }
    }

    /// The runs the filter selects, oldest first; with `limit`, the most recent `limit`.
    public func runs(matching filter: SessionFilter = SessionFilter(), limit: Int? = nil) throws -> [RunSummary] {
        try database.read { db in try Self.runs(filter, limit: limit, db) }
    }

    /// One run; nil when there is none.
    public func run(id: Int64) throws -> RunSummary? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(RowDecoding.runColumns) FROM runs u WHERE u.id = ?", arguments: [id])
                .map { try Self.summary(of: RowDecoding.run($0), db) }
        }
    }

    static func runs(_ filter: SessionFilter, limit: Int?, _ db: Database) throws -> [RunSummary] {
        guard filter.includesConnections() else { return [] }
        var where_ = Clauses()
        where_.add("1")
        if !filter.usernames.isEmpty { where_.add("u.username IN \(Clauses.placeholders(filter.usernames.count))", filter.usernames) }
        where_.callerFields(filter, table: "u")
        where_.claims(filter, table: "u")
        var request = Clauses()
        request.add("r.run_id = u.id")
        try request.requestFields(filter, db)
        if !filter.clusters.isEmpty {
            request.add("EXISTS (SELECT 1 FROM connections rc WHERE rc.id = r.connection_id AND rc.cluster IN \(Clauses.placeholders(filter.clusters.count)))",
                        filter.clusters)
        }
        if !filter.gateways.isEmpty {
            request.add("EXISTS (SELECT 1 FROM connections rg WHERE rg.id = r.connection_id AND rg.gateway IN \(Clauses.placeholders(filter.gateways.count)))",
                        filter.gateways)
        }
        request.timeRange("r.received_at", filter)
        if filter.hasRequestFields || !filter.clusters.isEmpty || !filter.gateways.isEmpty || filter.since != nil || filter.until != nil {
            where_.add("EXISTS (SELECT 1 FROM \(RequestOutcome.requestJoins) WHERE \(request.text))", request.arguments)
        }
        var sql = "SELECT \(RowDecoding.runColumns) FROM runs u WHERE \(where_.text) ORDER BY u.started_at DESC, u.seq DESC"
        if let limit { sql += " LIMIT \(max(limit, 0))" }
        let runs = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(where_.arguments)).map(RowDecoding.run).reversed()
        return try runs.map { try summary(of: $0, db) }
    }

    static func summary(of run: RunRecord, _ db: Database) throws -> RunSummary {
        let counts = try Row.fetchOne(db, sql: """
            SELECT COUNT(r.id) AS total, \(RequestOutcome.countColumns),
                   max(coalesce(max(r.received_at), 0), coalesce(max(p.completed_at), 0)) AS last,
                   COUNT(DISTINCT r.connection_id) AS connections
            FROM \(RequestOutcome.requestJoins) WHERE r.run_id = ?
            """, arguments: [run.id])
        var outcomes: [RequestOutcome: Int] = [:]
        for outcome in RequestOutcome.allCases {
            let n: Int = counts?[outcome.rawValue] ?? 0
            if n > 0 { outcomes[outcome] = n }
        }
        let clusters = try String.fetchAll(db, sql: """
            SELECT c.cluster FROM requests r JOIN connections c ON c.id = r.connection_id
            WHERE r.run_id = ? AND c.cluster IS NOT NULL GROUP BY c.cluster ORDER BY min(r.seq)
            """, arguments: [run.id])
        let last: Int64 = counts?["last"] ?? run.startedAt
        return RunSummary(run: run, lastActivityAt: max(last, run.startedAt), requestCount: counts?["total"] ?? 0, outcomes: outcomes,
                          connectionCount: counts?["connections"] ?? 0, clusters: clusters)
    }
}
