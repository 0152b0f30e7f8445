import Kube

/// `portcullis show RUN --changes` as text and as JSON.
public enum ChangesText {
    public static func text(_ c: RunChanges) -> String {
        var lines = ["run \(c.run.reference): \(c.run.username), changes: \(c.countText)"]
        if c.accepted.isEmpty { lines.append("  no change was accepted") }
        for change in c.accepted {
            lines.append("")
            var head = "\(ReadingFormat.time(change.receivedAt))  r\(change.request)  \(change.action) \(change.target)"
            if let status = change.status { head += "  \(status)" }
            lines.append(head)
            lines += detail(change).map { "    " + $0 }
        }
        if !c.refused.isEmpty {
            lines.append("")
            lines.append("Not made (denied, rejected or failed):")
            for change in c.refused {
                var line = "\(ReadingFormat.time(change.receivedAt))  r\(change.request)  \(change.verb) \(change.target)"
                line += "  \(change.status.map(String.init) ?? "-")  \(change.reason ?? change.outcome.rawValue)"
                lines.append("  " + line)
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// The lines under a change: the object, the changed fields, or the body as sent.
    static func detail(_ change: RecordedChange) -> [String] {
        switch change.verb {
        case "create":
            guard let object = change.object else { return ["(the created object was not recorded)"] }
            return ObjectFields.leaves(object).map { "\($0.path): \(ObjectFields.valueText($0.value))" }
        case "update", "patch":
            if let earlier = change.earlierState {
                let heading = "against its state in r\(earlier):"
                return change.fields.isEmpty ? [heading, "  (no field changed)"] : [heading] + change.fields.map { "  " + $0.text }
            }
            return ["no earlier state recorded; sent:", "  " + (change.sent ?? "")]
        case "delete":
            guard let object = change.object else { return ["(no earlier state of it is recorded)"] }
            let heading = change.earlierState.map { "its last recorded state, from r\($0):" } ?? "as the API server returned it:"
            return [heading] + ObjectFields.leaves(object).map { "  \($0.path): \(ObjectFields.valueText($0.value))" }
        default:
            return [change.intent]
        }
    }

    public static func json(_ c: RunChanges) -> [UInt8] {
        var w = GoJSONObjectWriter()
        w.string("run", c.run.reference.description)
        w.string("summary", c.countText)
        w.objectArray("changes", c.accepted, change)
        w.objectArray("notMade", c.refused, change)
        return w.finish()
    }

    static func change(_ change: RecordedChange, _ w: inout GoJSONObjectWriter) {
        w.string("request", "r\(change.request)")
        w.string("time", ReadingFormat.time(change.receivedAt))
        w.string("verb", change.verb)
        w.string("action", change.action)
        w.stringOmitEmpty("apiGroup", change.apiGroup)
        w.string("resource", change.resource)
        w.stringOmitEmpty("subresource", change.subresource)
        w.stringOmitEmpty("namespace", change.namespace)
        w.stringOmitEmpty("name", change.name)
        if let status = change.status { w.int("status", Int64(status)) }
        w.string("outcome", change.outcome.rawValue)
        if let object = change.object { w.value("object", object) }
        if let earlier = change.earlierState { w.string("earlierState", "r\(earlier)") }
        if !change.fields.isEmpty || change.earlierState != nil {
            w.objectArray("fields", change.fields) { field, f in
                f.string("path", field.path)
                if let before = field.before { f.value("before", before) }
                if let after = field.after { f.value("after", after) }
            }
        }
        w.stringOmitEmpty("sent", change.sent)
        w.stringOmitEmpty("reason", change.reason)
    }
}
