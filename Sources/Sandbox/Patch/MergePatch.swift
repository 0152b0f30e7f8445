import Kube

/// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue?) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target?.objectValue ?? [:]
        for (key, value) in patchMembers {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return .object(result)
    }
}

/// Strategic merge patch, reduced to what the sandbox needs: a merge patch in which lists of
/// objects that all carry a `name` are merged item by item on that key (as containers, env and
/// volumes are), `$patch: delete` items are removed, and other `$` directives are dropped.
enum StrategicMergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue?) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        if patchMembers["$patch"]?.stringValue == "replace" {
            var replaced = patchMembers
            replaced["$patch"] = nil
            return strip(.object(replaced))
        }
        var result = target?.objectValue ?? [:]
        for (key, value) in patchMembers where !key.hasPrefix("$") {
            if value.isNull {
                result[key] = nil
            } else if case .array(let patchItems) = value, case .array(let targetItems)? = result[key],
                      isNamedList(patchItems), isNamedList(targetItems) {
                result[key] = .array(mergeNamed(patchItems, into: targetItems))
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return .object(result)
    }

    private static func isNamedList(_ items: [JSONValue]) -> Bool {
        !items.isEmpty && items.allSatisfy { $0["name"]?.stringValue != nil }
    }

    private static func mergeNamed(_ patchItems: [JSONValue], into targetItems: [JSONValue]) -> [JSONValue] {
        var result = targetItems
        for item in patchItems {
            let name = item["name"]?.stringValue
            let index = result.firstIndex { $0["name"]?.stringValue == name }
            if item["$patch"]?.stringValue == "delete" {
                if let index { result.remove(at: index) }
            } else if let index {
                result[index] = apply(item, to: result[index])
            } else {
                result.append(strip(item))
            }
        }
        return result
    }

    /// Removes `$` directives from a value that is inserted whole.
    private static func strip(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (k, v) in members where !k.hasPrefix("$") { out[k] = strip(v) }
            return .object(out)
        case .array(let items): return .array(items.map(strip))
        default: return value
        }
    }
}
