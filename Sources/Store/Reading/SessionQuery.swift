import GRDB
import Kube

/// The SQL behind ``StoreReader/sessions(matching:limit:)``.
struct SessionQuery {
    var sql: String
    var arguments: StatementArguments

    /// Accepted connections with a request that matches every request field and the time range.
    static func connections(_ filter: SessionFilter, _ db: Database) throws -> SessionQuery {
        var where_ = Clauses()
        where_.add("c.outcome IS NOT 'refused'")
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
        if !filter.uids.isEmpty { where_.add("uid IN \(Clauses.placeholders(filter.uids.count))", filter.uids) }
        where_.timeRange("at", filter)
        return SessionQuery(sql: "SELECT * FROM guard_events WHERE \(where_.text)", arguments: StatementArguments(where_.arguments))
    }
}
