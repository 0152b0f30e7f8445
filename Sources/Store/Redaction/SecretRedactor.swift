import Kube

/// Replaces the values of `data` and `stringData` of v1 Secrets anywhere in a JSON value: the
/// object itself, a List's or SecretList's items, a Table's rows' objects, a watch event's object,
/// and the copy of the Secret kubectl keeps in the `last-applied-configuration` annotation.
/// Keys are kept; each value becomes ``RedactionConfiguration/placeholder``.
///
/// A Secret is an object whose `kind` is `Secret` (whatever its apiVersion: redacting a look-alike
/// costs nothing), an item of a `SecretList`, or, when the caller says the value is about Secrets
/// (a request to the `secrets` resource), the top-level object and the values of JSON Patch
/// operations on `/data` and `/stringData`. In a body that was cut short (`conservative`), an
/// object that has `data`, `stringData` or a last-applied annotation is treated as a Secret too
/// when its kind may have been in the part that was cut: it has no `kind`, or one that is a proper prefix of `Secret` (the cut
/// went through it, as in `"kind":"Sec`); unless it is an item of a list whose kind says what its
/// items are (`ConfigMapList`; not `List`, `SecretList`, or a prefix of either).
struct SecretRedactor {
    static let lastApplied = "kubectl.kubernetes.io/last-applied-configuration"
    let conservative: Bool

    /// Redacts `value`; true when anything changed.
    func redact(_ value: inout JSONValue, isSecret: Bool) -> Bool {
        if isSecret, case .array(var operations) = value {
            let changed = redactPatch(&operations)
            if changed { value = .array(operations) }
            return changed || walk(&value)
        }
        return isSecret ? redactSecret(&value) : walk(&value)
    }

    /// Looks for Secrets inside `value`; `listKind` is the kind of the list whose `items` hold it
    /// ("" for a list without one), nil elsewhere.
    private func walk(_ value: inout JSONValue, listKind: String? = nil) -> Bool {
        switch value {
        case .object(var members):
            let kind = members["kind"]?.stringValue
            if isSecret(kind: kind, members, listKind: listKind) {
                return redactSecret(&value)
            }
            let changed = walkMembers(&members, kind: kind, except: [])
            if changed { value = .object(members) }
            return changed
        case .array(var elements):
            var changed = false
            for index in elements.indices where walk(&elements[index], listKind: listKind) { changed = true }
            if changed { value = .array(elements) }
            return changed
        default:
            return false
        }
    }

    /// Looks for Secrets in an object's members but `except`: a SecretList's items are Secrets, the
    /// items of other lists are walked knowing their list's kind.
    private func walkMembers(_ members: inout [String: JSONValue], kind: String?, except: Set<String>) -> Bool {
        var changed = false
        for key in members.keys where !except.contains(key) {
            guard var member = members[key] else { continue }
            if kind == "SecretList", key == "items", case .array(var items) = member {
                var itemsChanged = false
                for index in items.indices where redactSecret(&items[index]) { itemsChanged = true }
                guard itemsChanged else { continue }
                member = .array(items)
            } else if !walk(&member, listKind: key == "items" ? kind ?? "" : nil) {
                continue
            }
            members[key] = member
            changed = true
        }
        return changed
    }

    /// Whether an object is a Secret, or, in a body cut short, may be one (see the type's comment):
    /// there, an object holding a last-applied copy counts like one holding data, since the copy
    /// may be a Secret's (and cut inside, it cannot be read to tell).
    private func isSecret(kind: String?, _ members: [String: JSONValue], listKind: String?) -> Bool {
        if kind == "Secret" { return true }
        let holdsValues = members["data"] != nil || members["stringData"] != nil
            || members["metadata"]?[path: "annotations", Self.lastApplied] != nil
        guard conservative, holdsValues else { return false }
        if let kind { return kind.count < 6 && "Secret".hasPrefix(kind) }
        guard let listKind else { return true }
        return "SecretList".hasPrefix(listKind) || "List".hasPrefix(listKind)
    }

    /// Redacts a Secret object's `data`, `stringData` and its last-applied copy, then anything
    /// nested elsewhere in it.
    private func redactSecret(_ value: inout JSONValue) -> Bool {
        guard case .object(var members) = value else { return walk(&value) }
        var changed = false
        for field in ["data", "stringData"] {
            guard var values = members[field] else { continue }
            if redactValues(&values) {
                members[field] = values
                changed = true
            }
        }
        if var metadata = members["metadata"], var annotations = metadata["annotations"],
           let text = annotations[Self.lastApplied]?.stringValue {
            let redacted = redactEmbedded(text)
            if redacted != text {
                annotations[Self.lastApplied] = .string(redacted)
                metadata["annotations"] = annotations
                members["metadata"] = metadata
                changed = true
            }
        }
        if walkMembers(&members, kind: members["kind"]?.stringValue, except: ["data", "stringData", "metadata"]) {
            changed = true
        }
        if changed { value = .object(members) }
        return changed
    }

    /// Every value of a `data` map becomes the placeholder; anything but a map or null entirely.
    private func redactValues(_ values: inout JSONValue) -> Bool {
        let placeholder = JSONValue.string(RedactionConfiguration.placeholder)
        switch values {
        case .null:
            return false
        case .object(var map):
            var changed = false
            for key in map.keys where map[key] != placeholder {
                map[key] = placeholder
                changed = true
            }
            if changed { values = .object(map) }
            return changed
        default:
            guard values != placeholder else { return false }
            values = placeholder
            return true
        }
    }

    /// A Secret serialized into an annotation: redacted and serialized again, or the whole text
    /// replaced when it does not parse.
    func redactEmbedded(_ text: String) -> String {
        guard var embedded = try? JSONParser.parse(text) else { return RedactionConfiguration.placeholder }
        guard redactSecret(&embedded) else { return text }
        return embedded.jsonString
    }

    /// JSON Patch operations on a Secret: values written under `/data`, `/stringData`, the
    /// last-applied annotation, or the whole object.
    private func redactPatch(_ operations: inout [JSONValue]) -> Bool {
        var changed = false
        for index in operations.indices {
            guard var operation = operations[index].objectValue, let path = operation["path"]?.stringValue,
                  var value = operation["value"] else { continue }
            let before = value
            if path == "/data" || path == "/stringData" {
                _ = redactValues(&value)
            } else if path.hasPrefix("/data/") || path.hasPrefix("/stringData/") {
                value = .string(RedactionConfiguration.placeholder)
            } else if path.hasSuffix("kubectl.kubernetes.io~1last-applied-configuration"), let text = value.stringValue {
                value = .string(redactEmbedded(text))
            } else if path.isEmpty || path == "/" {
                _ = redactSecret(&value)
            } else if path == "/metadata" || path == "/metadata/annotations" {
                _ = walkAnnotations(&value, isMetadata: path == "/metadata")
            }
            guard value != before else { continue }
            operation["value"] = value
            operations[index] = .object(operation)
            changed = true
        }
        return changed
    }

    private func walkAnnotations(_ value: inout JSONValue, isMetadata: Bool) -> Bool {
        var annotations = (isMetadata ? value["annotations"] : value) ?? .null
        guard let text = annotations[Self.lastApplied]?.stringValue else { return false }
        annotations[Self.lastApplied] = .string(redactEmbedded(text))
        if isMetadata { value["annotations"] = annotations } else { value = annotations }
        return true
    }
}
