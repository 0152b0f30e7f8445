import GRDB

extension StoreReader {
    /// A run with its requests and connections; nil when there is no such run.
    public func runTimeline(id: Int64, bodies: Bool = false) throws -> RunTimeline? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(RowDecoding.runColumns) FROM runs u WHERE u.id = ?", arguments: [id]) else {
                return nil
            }
            let summary = try Self.summary(of: RowDecoding.run(row), db)
            let requests = try Row.fetchAll(db, sql: """
                SELECT \(RowDecoding.requestColumns(bodies: bodies)), \(Self.foldingColumns)
                FROM \(RowDecoding.requestFrom) WHERE r.run_id = ? ORDER BY r.seq
                """, arguments: [id]).map(RowDecoding.request)
            let connections = try Row.fetchAll(db, sql: """
                SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom)
                WHERE c.id IN (SELECT connection_id FROM requests WHERE run_id = ?) ORDER BY c.seq
                """, arguments: [id]).map(RowDecoding.connection)
            return RunTimeline(summary: summary, requests: try requests.map { try Self.withStream($0, db) }, connections: connections)
        }
    }

    /// kubectl's per-invocation headers and a create's object name, read inside SQLite so that
    /// headers and bodies need not be loaded.
    static let foldingColumns = """
        (SELECT json_extract(h.value, '$[1]') FROM json_each(r.headers) h
         WHERE lower(json_extract(h.value, '$[0]')) = 'kubectl-session' LIMIT 1) AS kubectl_session,
        (SELECT json_extract(h.value, '$[1]') FROM json_each(r.headers) h
         WHERE lower(json_extract(h.value, '$[0]')) = 'kubectl-command' LIMIT 1) AS kubectl_command,
        CASE WHEN r.body IS NOT NULL AND r.body_truncated = 0 AND json_valid(CAST(r.body AS TEXT))
                  AND json_type(CAST(r.body AS TEXT), '$.metadata.name') = 'text'
             THEN json_extract(CAST(r.body AS TEXT), '$.metadata.name') END AS object_name
        """
}
