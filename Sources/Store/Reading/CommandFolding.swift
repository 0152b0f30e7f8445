import Kube

/// Folds a run's requests into the commands that made them.
///
/// - kubectl (1.22 and later) sends `Kubectl-Session`, one random id per invocation, and
///   `Kubectl-Command` (`kubectl apply`) with every request: requests with the same session are
///   one command, even when two invocations overlap.
/// - Requests without a session (other clients, or `KUBECTL_COMMAND_HEADERS=false`) fold
///   discovery (non-resource GETs: `/api`, `/apis`, `/version`, `/openapi/…`) into the next
///   request; each other request is a command of its own.
///
/// The text names the command and its targets: `kubectl delete pod web-1 -n demo`,
/// `kubectl apply namespace demo, pod web-1 -n demo, configmap settings -n demo`,
/// `kubectl exec web-1 -n demo -- sh`. Requests of a client that is not kubectl keep their intents.
public enum CommandFolding {
    static let changingVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]
    static let actionSubresources: Set<String> = ["exec", "attach", "portforward", "proxy", "log"]
    /// Targets listed before "and N more".
    static let listedTargets = 4

    public static func fold(_ requests: [RecordedRequest]) -> [FoldedCommand] {
        var groups: [[RecordedRequest]] = []
        var bySession: [String: Int] = [:]
        var pendingDiscovery: [RecordedRequest] = []
        for request in requests {
            if let session = request.kubectlSession, !session.isEmpty {
                if let index = bySession[session] {
                    groups[index].append(request)
                } else {
                    bySession[session] = groups.count
                    groups.append([request])
                }
            } else if isDiscovery(request) {
                pendingDiscovery.append(request)
            } else {
                groups.append(pendingDiscovery + [request])
                pendingDiscovery = []
            }
        }
        if !pendingDiscovery.isEmpty { groups.append(pendingDiscovery) }
        return groups.map(command)
    }

    static func isDiscovery(_ r: RecordedRequest) -> Bool {
        !r.isResourceRequest && (r.verb == "get" || r.method == "GET")
    }

    static func isAction(_ r: RecordedRequest) -> Bool {
        r.isResourceRequest && (changingVerbs.contains(r.verb) || actionSubresources.contains(r.subresource))
    }

    static func command(_ requests: [RecordedRequest]) -> FoldedCommand {
        let resources = requests.filter(\.isResourceRequest)
        let actions = resources.filter(isAction)
        let principals = actions.isEmpty ? resources : actions
        return FoldedCommand(text: text(requests, principals: principals), requests: requests, principals: principals)
    }

    static func text(_ requests: [RecordedRequest], principals: [RecordedRequest]) -> String {
        let header = requests.compactMap(\.kubectlCommand).first { !$0.isEmpty }
        let isKubectl = header != nil || requests.contains { $0.userAgent.hasPrefix("kubectl") }
        guard isKubectl, let first = principals.first ?? requests.first else {
            let intents = (principals.isEmpty ? requests : principals).map(\.intent)
            return unique(intents).joined(separator: "; ")
        }
        let command = header ?? "kubectl " + subcommand(first)
        guard !principals.isEmpty else { return command + " (discovery only)" }
        if actionSubresources.contains(first.subresource) { return command + " " + connectArguments(first) }
        let targets = unique(principals.map(target))
        var listed = targets.prefix(listedTargets).joined(separator: ", ")
        if targets.count > listedTargets { listed += " and \(targets.count - listedTargets) more" }
        return command + " " + listed
    }

    /// kubectl's subcommand for a request, when kubectl did not send its command.
    static func subcommand(_ r: RecordedRequest) -> String {
        switch (r.verb, r.subresource) {
        case (_, "exec"): "exec"
        case (_, "attach"): "attach"
        case (_, "log"): "logs"
        case (_, "portforward"): "port-forward"
        case (_, "proxy"): "proxy"
        case ("get", _), ("list", _), ("watch", _): "get"
        case ("update", _): "replace"
        case ("deletecollection", _): "delete"
        case (let verb, _) where !verb.isEmpty: verb
        default: r.method.lowercased()
        }
    }

    /// `pod web-1 -n demo`, `pods -n demo`, `pods -A`, `namespace demo`.
    static func target(_ r: RecordedRequest) -> String {
        let name = r.name.isEmpty ? (r.objectName ?? "") : r.name
        var text = name.isEmpty ? r.resource : ResourceNames.singular(r.resource) + " " + name
        if !r.subresource.isEmpty, !actionSubresources.contains(r.subresource) { text += " (\(r.subresource))" }
        let clusterScoped = ResourceNames.isClusterScoped(GroupResource(group: r.apiGroup, resource: r.resource))
        if !r.namespace.isEmpty, r.resource != "namespaces" {
            text += " -n " + r.namespace
        } else if r.namespace.isEmpty, !clusterScoped, name.isEmpty {
            text += " -A"
        }
        return text
    }

    /// `web-1 -n demo -- sh -c 'echo hi'` for exec, `web-1 -n demo -f` for followed logs.
    static func connectArguments(_ r: RecordedRequest) -> String {
        var text = r.name + (r.namespace.isEmpty ? "" : " -n " + r.namespace)
        let query = RequestTarget(r.uri).query
        switch r.subresource {
        case "exec":
            let command = query.values("command").map(ShellQuoting.quote).joined(separator: " ")
            if !command.isEmpty { text += " -- " + command }
        case "log":
            if let container = query["container"] { text += " -c " + container }
            if ["1", "t", "true", "True", "TRUE"].contains(query["follow"] ?? "") { text += " -f" }
        case "portforward":
            let ports = query.values("ports").joined(separator: " ")
            if !ports.isEmpty { text += " " + ports }
        default:
            break
        }
        return text
    }

    static func unique(_ items: [String]) -> [String] {
        var seen: [String] = []
        for item in items where !seen.contains(item) { seen.append(item) }
        return seen
    }
}
