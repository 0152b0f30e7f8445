import Kube

/// The pod and container an exec, attach or log request is for, checked as the kubelet and
/// kube-apiserver check them.
struct ExecTarget: Sendable {
    var pod: JSONValue
    var container: String

    static func validate(store: ObjectStore, namespace: String, pod name: String, query: QueryParameters) throws(Status) -> ExecTarget {
        guard let podType = ResourceCatalog.find(group: "", version: "v1", resource: "pods") else { throw Status.notFoundPath() }
        guard let pod = store.get(podType, namespace: namespace, name: name) else {
            throw Status.notFound(GroupResource(resource: "pods"), name: name)
        }
        let containers = (pod[path: "spec", "containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        if let requested = query["container"], !requested.isEmpty {
            guard containers.contains(requested) else {
                throw Status.badRequest("container \(requested) is not valid for pod \(name)")
            }
            return ExecTarget(pod: pod, container: requested)
        }
        if let annotated = pod[path: "metadata", "annotations", "kubectl.kubernetes.io/default-container"]?.stringValue,
           containers.contains(annotated) {
            return ExecTarget(pod: pod, container: annotated)
        }
        guard containers.count == 1, let only = containers.first else {
            if containers.isEmpty { throw Status.badRequest("pod \(name) has no containers") }
            throw Status.badRequest("a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]")
        }
        return ExecTarget(pod: pod, container: only)
    }
}
