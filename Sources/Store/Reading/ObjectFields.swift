import Kube

/// Kubernetes objects as field paths and values, for showing what a change did: the created or
/// deleted object field by field, and the fields an update or patch changed.
///
/// Fields the API server keeps for itself are left out (`metadata.resourceVersion`,
/// `generation`, `uid`, `creationTimestamp`, `managedFields`, `selfLink`), and so is `status`,
/// which controllers write, unless the change was to the status subresource.
public enum ObjectFields {
    static let serverMetadata: Set<String> = ["resourceVersion", "generation", "uid", "creationTimestamp", "managedFields", "selfLink"]
    /// Longest value shown; longer ones end in "…".
    public static let valueLimit = 120

    /// Every leaf of `object` (scalars, empty objects and arrays), in path order.
    public static func leaves(_ object: JSONValue, keepStatus: Bool = false) -> [(path: String, value: JSONValue)] {
        var out: [(path: String, value: JSONValue)] = []
        collect(object, path: "", depth: 0, keepStatus: keepStatus, into: &out)
        return out
    }

    /// The fields that differ between `before` and `after`, in path order. `kind` and `apiVersion`
    /// are not compared: a list's items carry neither.
    public static func diff(_ before: JSONValue, _ after: JSONValue, keepStatus: Bool = false) -> [FieldChange] {
        let typeFields: Set<String> = ["kind", "apiVersion"]
        func fields(_ object: JSONValue) -> [String: JSONValue] {
            Dictionary(leaves(object, keepStatus: keepStatus).filter { !typeFields.contains($0.path) }.map { ($0.path, $0.value) },
                       uniquingKeysWith: { first, _ in first })
        }
        let (old, new) = (fields(before), fields(after))
        return Set(old.keys).union(new.keys).sorted().compactMap { path in
            let (b, a) = (old[path], new[path])
            return b == a ? nil : FieldChange(path: path, before: b, after: a)
        }
    }

    private static func collect(_ value: JSONValue, path: String, depth: Int, keepStatus: Bool,
                                into out: inout [(path: String, value: JSONValue)]) {
        guard depth < 64 else { return out.append((path, .string("…"))) }
        switch value {
        case .object(let members) where !members.isEmpty:
            for key in members.keys.sorted() {
                if path.isEmpty, key == "status", !keepStatus { continue }
                if path == "metadata", serverMetadata.contains(key) { continue }
                guard let member = members[key] else { continue }
                collect(member, path: join(path, key), depth: depth + 1, keepStatus: keepStatus, into: &out)
            }
        case .array(let items) where !items.isEmpty:
            for (index, item) in items.enumerated() {
                collect(item, path: path + "[\(index)]", depth: depth + 1, keepStatus: keepStatus, into: &out)
            }
        default:
            out.append((path, value))
        }
    }

    /// `a.b`, or `a["b.c"]` for a key that is not a plain name.
    static func join(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
        if plain { return path.isEmpty ? key : path + "." + key }
        return path + "[" + JSONValue.string(key).jsonString + "]"
    }

    /// A value as JSON, cut at ``valueLimit`` characters.
    public static func valueText(_ value: JSONValue) -> String {
        let text = value.jsonString
        return text.count > valueLimit ? String(text.prefix(valueLimit - 1)) + "…" : text
    }
}
