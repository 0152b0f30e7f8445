import Kube

/// One-line, kubectl-like descriptions of recorded bodies and stream events.
public enum ResponseText {
    /// The Status a response body carries (`"kind":"Status"`), if it does.
    public static func status(_ response: RecordedResponse) -> Status? {
        guard let body = response.body, !response.bodyTruncated else { return nil }
        return status(body)
    }

    public static func status(_ body: [UInt8]) -> Status? {
        guard let json = BodyJSON.parse(body), json["kind"]?.stringValue == "Status" else { return nil }
        return try? Status(json: json)
    }

    /// `Error from server (NotFound): pods "x" not found` for a failure Status, as kubectl prints it.
    public static func errorLine(_ status: Status) -> String {
        let reason = status.reason.map { " (\($0))" } ?? ""
        return "Error from server\(reason): \(status.message ?? "code \(status.code)")"
    }

    /// `PodList: 3 items: web-1, web-2, db-0`, `Pod demo/web-1`, `Status Success`, `JSON, 1.2 KiB`,
    /// `1.2 KiB`; `nil` without a body.
    public static func bodySummary(_ body: [UInt8]?, truncated: Bool) -> String? {
        guard let body, !body.isEmpty else { return nil }
        let size = ReadingFormat.size(Int64(body.count)) + (truncated ? ", truncated" : "")
        guard !truncated, let json = BodyJSON.parse(body) else { return BodyJSON.protobufNote(body).map { "\($0), \(size)" } ?? size }
        return objectSummary(json) ?? "JSON, \(size)"
    }

    /// A Kubernetes object in a few words.
    public static func objectSummary(_ json: JSONValue) -> String? {
        guard let kind = json["kind"]?.stringValue else { return nil }
        if kind == "Status" {
            let status = (try? Status(json: json))
            if let status, status.status != Status.success { return errorLine(status) }
            return "Status \(status?.status ?? "")".trimmingTrailingSpace
        }
        if kind == "Table", let rows = json["rows"]?.arrayValue {
            let names = rows.compactMap { $0[path: "object", "metadata", "name"]?.stringValue ?? $0["cells"]?.arrayValue?.first?.stringValue }
            return "Table: \(count(rows.count, "row"))\(list(names))"
        }
        if let items = json["items"]?.arrayValue {
            let names = items.compactMap { objectName($0) }
            return "\(kind): \(count(items.count, "item"))\(list(names))"
        }
        if let name = objectName(json) { return "\(kind) \(name)" }
        return kind
    }

    /// `ADDED Pod demo/web-1`, `ERROR Expired: too old resource version`, `BOOKMARK`.
    public static func watchEvent(_ data: [UInt8]) -> String {
        guard let json = try? JSONParser.parse(data), let type = json["type"]?.stringValue else {
            return ReadingFormat.quoted(data)
        }
        guard let object = json["object"] else { return type }
        if type == "ERROR", let status = try? Status(json: object) {
            return "ERROR " + [status.reason, status.message].compactMap { $0 }.joined(separator: ": ")
        }
        if type == "BOOKMARK" { return "BOOKMARK" + (object[path: "metadata", "resourceVersion"]?.stringValue.map { " at \($0)" } ?? "") }
        let kind = object["kind"]?.stringValue ?? "object"
        return "\(type) \(kind)" + (objectName(object).map { " \($0)" } ?? "")
    }

    /// `namespace/name`, or `name` for a cluster-scoped object.
    static func objectName(_ object: JSONValue) -> String? {
        guard let name = object[path: "metadata", "name"]?.stringValue else { return nil }
        guard let namespace = object[path: "metadata", "namespace"]?.stringValue, !namespace.isEmpty else { return name }
        return "\(namespace)/\(name)"
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }

    static func list(_ names: [String], limit: Int = 8) -> String {
        guard !names.isEmpty else { return "" }
        let shown = names.prefix(limit).joined(separator: ", ")
        return ": " + shown + (names.count > limit ? ", ..." : "")
    }
}

extension String {
    var trimmingTrailingSpace: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
