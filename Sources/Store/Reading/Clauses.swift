import GRDB
import Kube

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
        callerFields(filter, table: "c")
        if !filter.gateways.isEmpty { add("c.gateway IN \(Self.placeholders(filter.gateways.count))", filter.gateways) }
        if !filter.claims.isEmpty {
            var runs = Clauses()
            runs.claims(filter, table: "u")
            add("EXISTS (SELECT 1 FROM requests cr JOIN runs u ON u.id = cr.run_id WHERE cr.connection_id = c.id AND \(runs.text))",
                runs.arguments)
        }
    }

    /// uid, container and unit of the caller columns of `table` (`connections`, `runs`, `guard_events`).
    mutating func callerFields(_ filter: SessionFilter, table t: String, hasCgroupColumns: Bool = true) {
        if !filter.uids.isEmpty { add("\(t).uid IN \(Self.placeholders(filter.uids.count))", filter.uids) }
        if !filter.containers.isEmpty {
            var alternatives: [String] = []
            var values: [(any DatabaseValueConvertible)?] = []
            for spec in filter.containers {
                let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                let (runtime, id) = parts.count == 2 ? (parts[0], parts[1]) : (nil, spec)
                var condition = "\(t).container_id LIKE ? ESCAPE '\\'"
                values.append(Self.escapedLike(id.lowercased()) + "%")
                if let runtime, hasCgroupColumns {
                    condition += " AND \(t).container_runtime = ?"
                    values.append(runtime)
                }
                alternatives.append("(\(condition))")
            }
            add("(" + alternatives.joined(separator: " OR ") + ")", values)
        }
        if !filter.units.isEmpty, hasCgroupColumns { add("\(t).unit IN \(Self.placeholders(filter.units.count))", filter.units) }
    }

    /// Each claim of the filter on the `claims` column of `table` (runs).
    mutating func claims(_ filter: SessionFilter, table t: String) {
        for claim in filter.claims {
            add("json_extract(\(t).claims, ?) = ?", [Self.jsonPath(claim.name), claim.value])
        }
    }

    /// `$."name"`, quoting the claim name for SQLite's JSON path.
    static func jsonPath(_ name: String) -> String {
        "$.\"" + name.replacing("\"", with: "\\\"") + "\""
    }

    static func escapedLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
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
            add("(" + outcomes.map(\.condition).joined(separator: " OR ") + ")")
        }
    }
}
