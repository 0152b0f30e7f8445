import Kube

/// A resource the sandbox serves: its names, scope, verbs and subresources, as discovery
/// documents and the RequestInfo of incoming requests name it.
public struct ResourceType: Sendable, Hashable {
    public var group: String
    public var version: String
    /// The plural lowercase name in URLs: `pods`.
    public var resource: String
    public var kind: String
    public var singular: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var categories: [String]
    public var subresources: [Subresource]

    public struct Subresource: Sendable, Hashable {
        public var name: String
        public var kind: String
        public var verbs: [String]
    }

    public static let standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public var groupVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
    public var listKind: String { kind + "List" }
}

/// The resources the sandbox serves.
public enum ResourceCatalog {
    public static let all: [ResourceType] = [
        ResourceType(group: "", version: "v1", resource: "namespaces", kind: "Namespace", singular: "namespace",
                     namespaced: false, shortNames: ["ns"], categories: [], subresources: [
                        .init(name: "finalize", kind: "Namespace", verbs: ["update"]),
                        .init(name: "status", kind: "Namespace", verbs: ["get", "patch", "update"]),
                     ]),
        ResourceType(group: "", version: "v1", resource: "pods", kind: "Pod", singular: "pod",
                     namespaced: true, shortNames: ["po"], categories: ["all"], subresources: [
                        .init(name: "attach", kind: "PodAttachOptions", verbs: ["create", "get"]),
                        .init(name: "exec", kind: "PodExecOptions", verbs: ["create", "get"]),
                        .init(name: "log", kind: "Pod", verbs: ["get"]),
                        .init(name: "status", kind: "Pod", verbs: ["get", "patch", "update"]),
                     ]),
        ResourceType(group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", singular: "configmap",
                     namespaced: true, shortNames: ["cm"], categories: [], subresources: []),
        ResourceType(group: "", version: "v1", resource: "secrets", kind: "Secret", singular: "secret",
                     namespaced: true, shortNames: [], categories: [], subresources: []),
        ResourceType(group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount",
                     singular: "serviceaccount", namespaced: true, shortNames: ["sa"], categories: [], subresources: []),
        ResourceType(group: "apps", version: "v1", resource: "deployments", kind: "Deployment", singular: "deployment",
                     namespaced: true, shortNames: ["deploy"], categories: ["all"], subresources: [
                        .init(name: "status", kind: "Deployment", verbs: ["get", "patch", "update"]),
                     ]),
    ]

    /// The API groups in discovery order; the core group is "".
    public static var groups: [String] {
        var seen: [String] = []
        for type in all where !seen.contains(type.group) { seen.append(type.group) }
        return seen
    }

    public static func find(group: String, version: String, resource: String) -> ResourceType? {
        all.first { $0.group == group && $0.version == version && $0.resource == resource }
    }

    public static func find(groupVersion: String, kind: String) -> ResourceType? {
        all.first { $0.groupVersion == groupVersion && $0.kind == kind }
    }

    public static func resources(group: String, version: String) -> [ResourceType] {
        all.filter { $0.group == group && $0.version == version }
    }
}
