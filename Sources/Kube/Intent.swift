/// The kubectl-like sentence a request stands for, for people reading records and reviewing held
/// requests: "delete namespace prod", "exec into pod web-1 in demo: sh -c 'echo hi'".
public enum Intent {
    /// Longest intent produced; longer ones end in "…".
    public static let maximumLength = 240

    /// - Parameters:
    ///   - info: the resolved request.
    ///   - query: the request's query parameters (exec command, log options, ports, dryRun).
    ///   - objectName: the name from the request body, for a create whose URL has none.
    public static func describe(_ info: RequestInfo, query: QueryParameters, objectName: String? = nil) -> String {
        var text = sentence(info, query: query, objectName: objectName)
        if query.values("dryRun").contains("All") { text += " (dry run)" }
        guard text.count > maximumLength else { return text }
        return String(text.prefix(maximumLength - 1)) + "…"
    }

    private static func sentence(_ info: RequestInfo, query: QueryParameters, objectName: String?) -> String {
        guard info.isResourceRequest else { return "\(info.verb) \(info.path)" }
        let kind = ResourceNames.singular(info.resource)
        let name = info.name.isEmpty ? (objectName ?? "") : info.name
        let target = name.isEmpty ? kind : "\(kind) \(name)"
        let scope = scopeSuffix(info)

        switch (info.verb, info.subresource) {
        case (_, "exec"):
            let command = query.values("command").map(ShellQuoting.quote).joined(separator: " ")
            return "exec into \(target)\(scope)" + (command.isEmpty ? "" : ": \(command)")
        case (_, "attach"):
            return "attach to \(target)\(scope)"
        case (_, "portforward"):
            let ports = query.values("ports").joined(separator: ",")
            return "port-forward to \(target)\(scope)" + (ports.isEmpty ? "" : ": \(ports)")
        case (_, "log"):
            let follow = ListOptionsDecoding.boolValue(query["follow"])
            let container = query["container"].map { " (container \($0))" } ?? ""
            return "\(follow ? "follow" : "read") logs of \(target)\(scope)\(container)"
        case ("proxy", _), (_, "proxy"):
            let rest = info.parts.dropFirst(info.verb == "proxy" ? 2 : 3).joined(separator: "/")
            return "proxy to \(target)\(scope): /\(rest)"
        case ("list", _), ("watch", _):
            let what = name.isEmpty ? info.resource : target
            return "\(info.verb) \(what)\(scope)\(selectorSuffix(info))"
        case ("deletecollection", _):
            return "delete all \(info.resource)\(scope)\(selectorSuffix(info))"
        default:
            let verb = info.verb.isEmpty ? "request" : info.verb
            if !info.subresource.isEmpty {
                return "\(verb) \(info.subresource) of \(target)\(scope)"
            }
            return "\(verb) \(target)\(scope)"
        }
    }

    private static func scopeSuffix(_ info: RequestInfo) -> String {
        if info.resource == "namespaces" { return "" }
        if !info.namespace.isEmpty { return " in \(info.namespace)" }
        if ["list", "watch", "deletecollection"].contains(info.verb), !ResourceNames.isClusterScoped(info.groupResource) {
            return " in all namespaces"
        }
        return ""
    }

    private static func selectorSuffix(_ info: RequestInfo) -> String {
        var parts: [String] = []
        if !info.labelSelector.isEmpty { parts.append("labels \(info.labelSelector)") }
        if !info.fieldSelector.isEmpty, info.name.isEmpty { parts.append("fields \(info.fieldSelector)") }
        return parts.isEmpty ? "" : " with " + parts.joined(separator: " and ")
    }
}

/// Quotes a word the way a POSIX shell user would write it, only when needed.
public enum ShellQuoting {
    public static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "-_./=:,+@%".unicodeScalars.contains($0)
        }
        if safe, !word.isEmpty { return word }
        return "'" + word.replacing("'", with: "'\\''") + "'"
    }
}
