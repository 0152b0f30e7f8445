/// Names of the built-in resources: singular forms, and which are cluster-scoped.
public enum ResourceNames {
    static let singulars: [String: String] = [
        "pods": "pod", "namespaces": "namespace", "services": "service", "configmaps": "configmap",
        "secrets": "secret", "serviceaccounts": "serviceaccount", "deployments": "deployment",
        "replicasets": "replicaset", "statefulsets": "statefulset", "daemonsets": "daemonset",
        "jobs": "job", "cronjobs": "cronjob", "nodes": "node", "events": "event",
        "endpoints": "endpoints", "ingresses": "ingress", "networkpolicies": "networkpolicy",
        "persistentvolumes": "persistentvolume", "persistentvolumeclaims": "persistentvolumeclaim",
        "roles": "role", "rolebindings": "rolebinding", "clusterroles": "clusterrole",
        "clusterrolebindings": "clusterrolebinding", "customresourcedefinitions": "customresourcedefinition",
        "storageclasses": "storageclass", "leases": "lease", "limitranges": "limitrange",
        "resourcequotas": "resourcequota", "horizontalpodautoscalers": "horizontalpodautoscaler",
        "poddisruptionbudgets": "poddisruptionbudget", "priorityclasses": "priorityclass",
        "endpointslices": "endpointslice", "controllerrevisions": "controllerrevision",
    ]

    static let clusterScoped: Set<GroupResource> = [
        GroupResource(resource: "namespaces"), GroupResource(resource: "nodes"),
        GroupResource(resource: "persistentvolumes"), GroupResource(resource: "componentstatuses"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterroles"),
        GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterrolebindings"),
        GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"),
        GroupResource(group: "storage.k8s.io", resource: "storageclasses"),
        GroupResource(group: "scheduling.k8s.io", resource: "priorityclasses"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations"),
        GroupResource(group: "admissionregistration.k8s.io", resource: "mutatingwebhookconfigurations"),
        GroupResource(group: "apiregistration.k8s.io", resource: "apiservices"),
        GroupResource(group: "certificates.k8s.io", resource: "certificatesigningrequests"),
    ]

    /// `pods` → `pod`; unknown plurals lose their plural ending.
    public static func singular(_ resource: String) -> String {
        if let known = singulars[resource] { return known }
        if resource.hasSuffix("ies") { return String(resource.dropLast(3)) + "y" }
        if resource.hasSuffix("sses") || resource.hasSuffix("xes") { return String(resource.dropLast(2)) }
        if resource.hasSuffix("s") { return String(resource.dropLast()) }
        return resource
    }

    public static func isClusterScoped(_ resource: GroupResource) -> Bool {
        clusterScoped.contains(resource)
    }
}
