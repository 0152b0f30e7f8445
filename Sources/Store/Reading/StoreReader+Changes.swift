import GRDB
import Kube

extension StoreReader {
    /// What run `id` changed (see ``RunChanges``); nil when there is no such run.
    ///
    /// A create shows the object the API server returned; an update or patch the fields that
    /// differ between the object it returned and the object's last recorded state (the latest
    /// earlier response in the whole record that holds it: a get, list, create, update or patch),
    /// or, with no earlier state, the body as sent; a delete the last recorded state. Bodies are
    /// read as stored, so Secrets appear redacted.
    public func changes(run id: Int64) throws -> RunChanges? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(RowDecoding.runColumns) FROM runs u WHERE u.id = ?", arguments: [id]) else {
                return nil
            }
            let connect = CommandFolding.actionSubresources.map { "'\($0)'" }.joined(separator: ", ")
            let requests = try Row.fetchAll(db, sql: """
                SELECT \(RowDecoding.requestColumns(bodies: true)), \(Self.foldingColumns)
                FROM \(RowDecoding.requestFrom)
                WHERE r.run_id = ? AND r.is_resource_request = 1
                  AND r.verb IN ('create', 'update', 'patch', 'delete', 'deletecollection') AND r.subresource NOT IN (\(connect))
                ORDER BY r.seq
                """, arguments: [id]).map(RowDecoding.request).filter { !Self.isDryRun($0) }
            var accepted: [RecordedChange] = []
            var refused: [RecordedChange] = []
            for request in requests {
                let change = try Self.change(request, db)
                if change.accepted { accepted.append(change) } else { refused.append(change) }
            }
            return RunChanges(run: RowDecoding.run(row), accepted: accepted, refused: refused)
        }
    }

    static func isDryRun(_ r: RecordedRequest) -> Bool {
        RequestTarget(r.uri).query.values("dryRun").contains("All")
    }

    static func change(_ r: RecordedRequest, _ db: Database) throws -> RecordedChange {
        let requestObject = parsed(r.body, truncated: r.bodyTruncated)
        let responseObject = r.response.flatMap { parsed($0.body, truncated: $0.bodyTruncated) }.flatMap { $0["kind"]?.stringValue == "Status" ? nil : $0 }
        var name = r.name
        if name.isEmpty { name = responseObject?[path: "metadata", "name"]?.stringValue ?? r.objectName ?? requestObject?[path: "metadata", "name"]?.stringValue ?? "" }
        var change = RecordedChange(request: r.id, receivedAt: r.receivedAt, verb: r.verb, apiGroup: r.apiGroup, resource: r.resource,
                                    subresource: r.subresource, namespace: r.namespace, name: name, status: r.response?.statusCode,
                                    outcome: r.outcome, intent: r.intent)
        guard change.accepted else {
            change.reason = refusal(r)
            return change
        }
        switch r.verb {
        case "create":
            change.object = responseObject ?? requestObject
        case "update", "patch":
            let earlier = try name.isEmpty ? nil : lastState(of: r, name: name, db)
            if let earlier, let after = responseObject {
                change.earlierState = earlier.request
                change.fields = ObjectFields.diff(earlier.object, after, keepStatus: r.subresource == "status")
            } else {
                change.sent = r.body.map { String(decoding: $0, as: UTF8.self) } ?? ""
                if r.bodyTruncated { change.sent = (change.sent ?? "") + "…" }
            }
        case "delete":
            if let earlier = try name.isEmpty ? nil : lastState(of: r, name: name, db) {
                change.earlierState = earlier.request
                change.object = earlier.object
            } else {
                change.object = responseObject
            }
        default:
            break
        }
        return change
    }

    /// Why a change did not happen: the policy's reason, the gateway's, or the API server's Status.
    static func refusal(_ r: RecordedRequest) -> String {
        switch r.outcome {
        case .denied: return "denied" + (r.decisionReason.map { ": \($0)" } ?? "")
        case .rejected: return "rejected by the gateway" + (r.response?.reason.map { ": \($0)" } ?? "")
        case .unanswered: return "no response recorded"
        case .allowed:
            guard let response = r.response else { return "no response recorded" }
            if let status = ResponseText.status(response) { return ResponseText.errorLine(status) }
            return "failed with \(response.statusCode)"
        }
    }

    static func parsed(_ body: [UInt8]?, truncated: Bool) -> JSONValue? {
        guard let body, !body.isEmpty, !truncated else { return nil }
        return BodyJSON.parse(body)
    }

    /// The latest state of the object `r` names, from a response recorded before `r`: a get,
    /// create, update or patch of it, or a list holding it.
    static func lastState(of r: RecordedRequest, name: String, _ db: Database) throws -> (request: Int64, object: JSONValue)? {
        let candidates = try Row.fetchAll(db, sql: """
            SELECT r.id, r.namespace, p.body FROM requests r JOIN responses p ON p.request_id = r.id
            WHERE r.seq < ? AND r.is_resource_request = 1 AND r.api_group = ? AND r.resource = ? AND r.subresource = ''
              AND (r.namespace = ? OR r.namespace = '') AND (r.name = ? OR r.name = '')
              AND r.verb IN ('get', 'list', 'create', 'update', 'patch')
              AND p.status_code BETWEEN 200 AND 299 AND p.body IS NOT NULL AND p.body_truncated = 0 AND p.rejected = 0
            ORDER BY r.seq DESC LIMIT 50
            """, arguments: [r.seq, r.apiGroup, r.resource, r.namespace, name])
        for row in candidates {
            guard let body = RowDecoding.bytes(row["body"]), let json = BodyJSON.parse(body) else { continue }
            if let object = find(name: name, namespace: r.namespace, in: json) { return (row["id"], object) }
        }
        return nil
    }

    /// The object named `name` (in `namespace`) in a response: the object itself or a list's item.
    /// Tables (what `kubectl get` shows) hold no whole objects and are passed over.
    static func find(name: String, namespace: String, in json: JSONValue) -> JSONValue? {
        func matches(_ object: JSONValue) -> Bool {
            object[path: "metadata", "name"]?.stringValue == name
                && (namespace.isEmpty || (object[path: "metadata", "namespace"]?.stringValue ?? namespace) == namespace)
        }
        let kind = json["kind"]?.stringValue ?? ""
        guard kind != "Table", kind != "Status" else { return nil }
        if let items = json["items"]?.arrayValue { return items.last(where: matches) }
        return matches(json) ? json : nil
    }
}
