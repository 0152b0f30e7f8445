import GRDB
import Kube

extension StoreReader {
    /// The sessions the filter selects (see ``SessionFilter``), oldest first. With `limit`, only
    /// the most recent `limit` of them.
    public func sessions(matching filter: SessionFilter = SessionFilter(), limit: Int? = nil) throws -> [SessionSummary] {
        try database.read { db in
            // Summaries of connections cost three queries each: make them only for what is listed.
            var found: [(time: Int64, seq: Int64, session: FoundSession)] = []
            if filter.includesConnections() {
                let query = try SessionQuery.connections(filter, db)
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
            SELECT COUNT(r.id) AS total,
                SUM(CASE WHEN r.decision = 'deny' THEN 1 ELSE 0 END) AS denied,
                SUM(CASE WHEN r.decision IS NOT 'deny' AND p.rejected = 1 THEN 1 ELSE 0 END) AS rejected,
                SUM(CASE WHEN r.decision IS NOT 'deny' AND p.rejected = 0 THEN 1 ELSE 0 END) AS allowed,
                SUM(CASE WHEN r.decision IS NOT 'deny' AND p.request_id IS NULL THEN 1 ELSE 0 END) AS unanswered
            FROM requests r LEFT JOIN responses p ON p.request_id = r.id WHERE r.connection_id = ?
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
                              requestCount: counts?["total"] ?? 0, outcomes: outcomes, firstIntent: firstIntent)
    }
}

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
        let exists = "EXISTS (SELECT 1 FROM requests r LEFT JOIN responses p ON p.request_id = r.id WHERE \(request.text))"
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

/// SQL conditions joined with AND, and their positional arguments.
struct Clauses {
    private var parts: [String] = []
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    var text: String { parts.isEmpty ? "1" : parts.joined(separator: " AND ") }

    mutating func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?] = []) {
        parts.append(condition)
        arguments += values
    }

    mutating func add(_ condition: String, _ values: [String]) { add(condition, values.map { $0 as (any DatabaseValueConvertible)? }) }
    mutating func add(_ condition: String, _ values: [Int64]) { add(condition, values.map { $0 as (any DatabaseValueConvertible)? }) }

    static func placeholders(_ count: Int) -> String { "(" + Array(repeating: "?", count: count).joined(separator: ",") + ")" }

    mutating func timeRange(_ column: String, _ filter: SessionFilter) {
        if let since = filter.since { add("\(column) >= ?", [since]) }
        if let until = filter.until { add("\(column) <= ?", [until]) }
    }

    mutating func connectionFields(_ filter: SessionFilter) {
        if !filter.clusters.isEmpty { add("c.cluster IN \(Self.placeholders(filter.clusters.count))", filter.clusters) }
        if !filter.uids.isEmpty { add("c.uid IN \(Self.placeholders(filter.uids.count))", filter.uids) }
    }

    /// Conditions on `requests r` (and `responses p`) for the request fields of the filter.
    mutating func requestFields(_ filter: SessionFilter, _ db: Database) throws {
        if !filter.usernames.isEmpty { add("r.username IN \(Self.placeholders(filter.usernames.count))", filter.usernames) }
        if !filter.groups.isEmpty {
            var condition = "EXISTS (SELECT 1 FROM json_each(r.groups) WHERE json_each.value IN \(Self.placeholders(filter.groups.count)))"
            // kube-apiserver adds system:authenticated to every impersonated user.
            if filter.groups.contains("system:authenticated") { condition = "(\(condition) OR r.username IS NOT NULL)" }
            add(condition, filter.groups)
        }
        if !filter.verbs.isEmpty { add("r.verb IN \(Self.placeholders(filter.verbs.count))", filter.verbs) }
        if !filter.namespaces.isEmpty { add("r.namespace IN \(Self.placeholders(filter.namespaces.count))", filter.namespaces) }
        if !filter.resources.isEmpty {
            let known = try String.fetchAll(db, sql: "SELECT DISTINCT resource FROM requests")
            var alternatives: [String] = []
            var values: [(any DatabaseValueConvertible)?] = []
            for spec in filter.resources.map(ResourceSpec.init) {
                let names = spec.matchingResources(among: known)
                var condition = "r.resource IN \(Self.placeholders(names.count))"
                values += names.map { $0 as (any DatabaseValueConvertible)? }
                if let subresource = spec.subresource {
                    condition += " AND r.subresource = ?"
                    values.append(subresource)
                }
                if let group = spec.group {
                    condition += " AND r.api_group = ?"
                    values.append(group)
                }
                alternatives.append("(\(condition))")
            }
            add("(" + alternatives.joined(separator: " OR ") + ")", values)
        }
        let outcomes = filter.requestOutcomes
        if !outcomes.isEmpty {
            let conditions = outcomes.map { outcome -> String in
                switch outcome {
                case .denied: return "r.decision = 'deny'"
                case .rejected: return "(r.decision IS NOT 'deny' AND p.rejected = 1)"
                case .allowed: return "(r.decision IS NOT 'deny' AND p.rejected = 0)"
                case .unanswered: return "(r.decision IS NOT 'deny' AND p.request_id IS NULL)"
                }
            }
            add("(" + conditions.joined(separator: " OR ") + ")")
        }
    }
}

/// `pods`, `pod`, `pods/exec`, `deployments.apps`, `deployment.apps/scale`.
struct ResourceSpec {
    var name: String
    var group: String?
    var subresource: String?

    init(_ text: String) {
        var rest = Substring(text.lowercased())
        if let slash = rest.firstIndex(of: "/") {
            subresource = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        if let dot = rest.firstIndex(of: ".") {
            group = String(rest[rest.index(after: dot)...])
            rest = rest[..<dot]
        }
        name = String(rest)
    }

    /// The recorded resource names the spec stands for: the name itself, or the plurals whose
    /// singular it is.
    func matchingResources(among known: [String]) -> [String] {
        [name] + known.filter { $0 != name && ResourceNames.singular($0) == name }
    }
}
