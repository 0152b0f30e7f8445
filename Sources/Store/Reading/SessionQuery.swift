import GRDB
import Kube

/// The SQL behind ``StoreReader/sessions(matching:limit:)``.
struct SessionQuery {
    var sql: String
    var arguments: StatementArguments

    /// Accepted connections with a request that matches every request field and the time range;
    /// with `withoutRuns`, only those that carried no run's request (no authenticated request, a
    /// failed TLS handshake, a record older than runs, a run whose row was pruned).
    static func connections(_ filter: SessionFilter, withoutRuns: Bool = false, _ db: Database) throws -> SessionQuery {
        var where_ = Clauses()
        where_.add("c.outcome IS NOT 'refused'")
        if withoutRuns {
            where_.add("NOT EXISTS (SELECT 1 FROM requests rr JOIN runs ru ON ru.id = rr.run_id WHERE rr.connection_id = c.id)")
        }
        where_.connectionFields(filter)
        var request = Clauses()
        request.add("r.connection_id = c.id")
        try request.requestFields(filter, db)
        request.timeRange("r.received_at", filter)
        let exists = "EXISTS (SELECT 1 FROM \(RequestOutcome.requestJoins) WHERE \(request.text))"
        if filter.hasRequestFields {
            where_.add(exists, request.arguments)
        } else if filter.since != nil || filter.until != nil {
            var opened = Clauses()
            opened.timeRange("c.opened_at", filter)
            where_.add("((\(opened.text)) OR \(exists))", opened.arguments + request.arguments)
        }
        return SessionQuery(sql: "SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom) WHERE \(where_.text)",
                            arguments: StatementArguments(where_.arguments))
    }

    static func refusedConnections(_ filter: SessionFilter) -> SessionQuery {
        var where_ = Clauses()
        where_.add("c.outcome = 'refused'")
        where_.connectionFields(filter)
        where_.timeRange("c.opened_at", filter)
        return SessionQuery(sql: "SELECT \(RowDecoding.connectionColumns) FROM \(RowDecoding.connectionFrom) WHERE \(where_.text)",
                            arguments: StatementArguments(where_.arguments))
    }

    static func guardEvents(_ filter: SessionFilter) -> SessionQuery {
        var where_ = Clauses()
        where_.add("1")
        where_.callerFields(filter, table: "g", hasCgroupColumns: false)
        where_.timeRange("g.at", filter)
        return SessionQuery(sql: "SELECT * FROM guard_events g WHERE \(where_.text)", arguments: StatementArguments(where_.arguments))
    }
}
