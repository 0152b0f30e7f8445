import Kube

/// The request `policy explain` asks about, written as an operator thinks of it:
/// - kubectl-like: `delete namespace prod`, `get pods -n demo`, `exec web-1 -n demo`,
///   `logs web-1`, `create deployments.apps -n demo`, `watch pods -A`, `get /version`;
/// - or raw: `DELETE /api/v1/namespaces/prod`.
enum ExplainRequest {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// kubectl's short names and singulars, with their API groups.
    static let resources: [String: (resource: String, group: String)] = {
        var table: [String: (String, String)] = [:]
        let known: [(String, String, [String])] = [
            ("pods", "", ["po", "pod"]), ("namespaces", "", ["ns", "namespace"]), ("services", "", ["svc", "service"]),
            ("configmaps", "", ["cm", "configmap"]), ("secrets", "", ["secret"]), ("serviceaccounts", "", ["sa", "serviceaccount"]),
            ("nodes", "", ["no", "node"]), ("events", "", ["ev", "event"]), ("endpoints", "", ["ep"]),
            ("persistentvolumeclaims", "", ["pvc", "persistentvolumeclaim"]), ("persistentvolumes", "", ["pv", "persistentvolume"]),
            ("deployments", "apps", ["deploy", "deployment"]), ("replicasets", "apps", ["rs", "replicaset"]),
            ("statefulsets", "apps", ["sts", "statefulset"]), ("daemonsets", "apps", ["ds", "daemonset"]),
            ("jobs", "batch", ["job"]), ("cronjobs", "batch", ["cj", "cronjob"]),
            ("ingresses", "networking.k8s.io", ["ing", "ingress"]),
            ("roles", "rbac.authorization.k8s.io", ["role"]), ("rolebindings", "rbac.authorization.k8s.io", ["rolebinding"]),
            ("clusterroles", "rbac.authorization.k8s.io", ["clusterrole"]),
            ("clusterrolebindings", "rbac.authorization.k8s.io", ["clusterrolebinding"]),
        ]
        for (plural, group, aliases) in known {
            for name in [plural] + aliases { table[name] = (plural, group) }
        }
        return table
    }()

    static func parse(_ words: [String]) throws(ParseError) -> RequestInfo {
        guard let first = words.first else { throw ParseError(description: "give a request after --, such as: delete namespace prod") }
        if first == first.uppercased(), first.allSatisfy(\.isLetter), words.count == 2 {
            do {
                return try RequestInfoResolver.resolve(method: first, target: words[1])
            } catch {
                throw ParseError(description: "cannot resolve \(first) \(words[1]): \(error.message)")
            }
        }
        var positional: [String] = []
        var namespace: String?
        var allNamespaces = false
        var watch = false
        var rest = words[...]
        while let word = rest.popFirst() {
            switch word {
            case "-n", "--namespace":
                guard let value = rest.popFirst() else { throw ParseError(description: "\(word) needs a namespace") }
                namespace = value
            case "-A", "--all-namespaces": allNamespaces = true
            case "-w", "--watch": watch = true
            case "--": break
            default:
                if word.hasPrefix("--namespace=") { namespace = String(word.dropFirst("--namespace=".count)) }
                else if word.hasPrefix("-") { throw ParseError(description: "unknown flag \(word) (known: -n, -A, -w)") }
                else { positional.append(word) }
            }
        }
        if watch, positional.first == "get" { positional[0] = "watch" }
        return try resolve(positional, namespace: allNamespaces ? "" : (namespace ?? "default"))
    }

    private static func resolve(_ words: [String], namespace: String) throws(ParseError) -> RequestInfo {
        guard words.count >= 2 else { throw ParseError(description: "expected a verb and a resource, such as: get pods, or: exec web-1") }
        let verb = words[0]
        if words[1].hasPrefix("/") { return RequestInfo(path: words[1], verb: verb) }
        switch verb {
        case "exec", "attach", "port-forward", "portforward", "logs", "log":
            let subresource = ["logs": "log", "log": "log", "port-forward": "portforward"][verb] ?? verb
            return info(verb: subresource == "log" ? "get" : "create", resource: ("pods", ""), subresource: subresource,
                        name: words[1], namespace: namespace)
        default:
            break
        }
        var resourceWord = words[1]
        var subresource = ""
        if let slash = resourceWord.firstIndex(of: "/") {
            subresource = String(resourceWord[resourceWord.index(after: slash)...])
            resourceWord = String(resourceWord[..<slash])
        }
        let resource = lookup(resourceWord)
        let name = words.count > 2 ? words[2] : ""
        let kubeVerb: String
        switch verb {
        case "get": kubeVerb = name.isEmpty ? "list" : "get"
        case "delete": kubeVerb = name.isEmpty ? "deletecollection" : "delete"
        case "apply", "edit", "label", "annotate", "scale": kubeVerb = "patch"
        case "replace": kubeVerb = "update"
        default: kubeVerb = verb
        }
        return info(verb: kubeVerb, resource: resource, subresource: subresource, name: name, namespace: namespace)
    }

    private static func lookup(_ word: String) -> (resource: String, group: String) {
        if let known = resources[word.lowercased()] { return known }
        if let dot = word.firstIndex(of: ".") { return (String(word[..<dot]), String(word[word.index(after: dot)...])) }
        return (word.lowercased(), "")
    }

    private static func info(verb: String, resource: (resource: String, group: String), subresource: String, name: String,
                             namespace: String) -> RequestInfo {
        let clusterScoped = ResourceNames.isClusterScoped(GroupResource(group: resource.group, resource: resource.resource))
        let scope = resource.resource == "namespaces" ? name : (clusterScoped ? "" : namespace)
        return RequestInfo(isResourceRequest: true, path: "", verb: verb, apiPrefix: resource.group.isEmpty ? "api" : "apis",
                           apiGroup: resource.group, apiVersion: "v1", namespace: scope, resource: resource.resource,
                           subresource: subresource, name: name)
    }
}
