import Kube

/// What a reviewer sees of a held request's body: its shape, never its values (a Secret's data, a
/// token in a ConfigMap). "ConfigMap v1 settings in demo; fields: data (3 keys)".
public enum BodySummary {
    public static func describe(_ body: [UInt8], contentType: String?) -> String {
        if body.isEmpty { return "no body" }
        guard let object = KubeBody.json(body)?.objectValue else {
            return "\(body.count) bytes of \(contentType ?? "unknown content")"
        }
        var parts: [String] = []
        let kind = object["kind"]?.stringValue
        var head = [kind, object["apiVersion"]?.stringValue, object["metadata"]?[path: "name"]?.stringValue]
            .compactMap { $0 }.joined(separator: " ")
        if let namespace = object["metadata"]?[path: "namespace"]?.stringValue { head += " in \(namespace)" }
        parts.append(head)
        if kind == "DeleteOptions" {
            let options = ["propagationPolicy", "gracePeriodSeconds", "dryRun"].compactMap { key -> String? in
                guard let value = object[key] else { return nil }
                return "\(key)=\(String(decoding: value.jsonBytes(), as: UTF8.self))"
            }
            if !options.isEmpty { parts.append(options.joined(separator: ", ")) }
        } else {
            let fields = object.keys.filter { !["kind", "apiVersion"].contains($0) }.sorted().map { key -> String in
                guard let members = object[key]?.objectValue, key != "metadata" else { return key }
                return "\(key) (\(members.count) \(members.count == 1 ? "key" : "keys"))"
            }
            if !fields.isEmpty { parts.append("fields: " + fields.joined(separator: ", ")) }
        }
        return parts.filter { !$0.isEmpty }.joined(separator: "; ") + " (\(body.count) bytes)"
    }
}
