import Kube

/// Discovery documents for the resources in ``ResourceCatalog``: aggregated
/// (`apidiscovery.k8s.io/v2`) and the legacy APIVersions, APIGroupList and APIResourceList.
enum DiscoveryDocuments {
    static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// Whether the Accept header asks for aggregated discovery v2, the only version served. kubectl 1.27
    /// to 1.29 ask for v2beta1 only: they get legacy discovery, which they also understand (answering
    /// them in v2 would make them read it as legacy and find no resources).
    static func wantsAggregated(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { range in
            let parameters = Set(range.split(separator: ";").map { String($0.filter { $0 != " " && $0 != "\t" }) })
            return parameters.isSuperset(of: ["g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"])
        }
    }

    /// `/api` (core) or `/apis` (named groups) as an APIGroupDiscoveryList.
    static func aggregated(core: Bool) -> JSONValue {
        let groups = ResourceCatalog.groups.filter { core ? $0.isEmpty : !$0.isEmpty }
        let items: [JSONValue] = groups.map { group in
            let types = ResourceCatalog.all.filter { $0.group == group }
            var metadata: JSONValue = ["creationTimestamp": nil]
            if !group.isEmpty { metadata["name"] = .string(group) }
            return ["metadata": metadata, "versions": [[
                "version": .string(types.first?.version ?? "v1"),
                "resources": .array(types.map(aggregatedResource)),
                "freshness": "Current",
            ]]]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": [:], "items": .array(items)]
    }

    private static func aggregatedResource(_ type: ResourceType) -> JSONValue {
        var resource: JSONValue = [
            "resource": .string(type.resource),
            "responseKind": ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)],
            "scope": type.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(type.singular),
            "verbs": .array(ResourceType.standardVerbs.map { .string($0) }),
        ]
        if !type.shortNames.isEmpty { resource["shortNames"] = .array(type.shortNames.map { .string($0) }) }
        if !type.categories.isEmpty { resource["categories"] = .array(type.categories.map { .string($0) }) }
        if !type.subresources.isEmpty {
            resource["subresources"] = .array(type.subresources.map { sub in
                ["subresource": .string(sub.name),
                 "responseKind": ["group": .string(type.group), "version": .string(type.version), "kind": .string(sub.kind)],
                 "verbs": .array(sub.verbs.map { .string($0) })]
            })
        }
        return resource
    }

    /// `/api`: the legacy APIVersions.
    static func apiVersions(serverAddress: String) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]]]
    }

    /// `/apis`: the legacy APIGroupList.
    static func apiGroupList() -> JSONValue {
        let groups = ResourceCatalog.groups.filter { !$0.isEmpty }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups.map(apiGroup))]
    }

    /// `/apis/{group}`.
    static func apiGroup(_ group: String) -> JSONValue {
        let version = ResourceCatalog.all.first { $0.group == group }?.version ?? "v1"
        let gv: JSONValue = ["groupVersion": .string("\(group)/\(version)"), "version": .string(version)]
        return ["kind": "APIGroup", "apiVersion": "v1", "name": .string(group), "versions": [gv], "preferredVersion": gv]
    }

    /// `/api/v1` or `/apis/{group}/{version}`: the APIResourceList; nil when nothing is served there.
    static func apiResourceList(group: String, version: String) -> JSONValue? {
        let types = ResourceCatalog.resources(group: group, version: version)
        guard !types.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for type in types {
            var entry: JSONValue = [
                "name": .string(type.resource), "singularName": .string(type.singular), "namespaced": .bool(type.namespaced),
                "kind": .string(type.kind), "verbs": .array(ResourceType.standardVerbs.map { .string($0) }),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            if !type.categories.isEmpty { entry["categories"] = .array(type.categories.map { .string($0) }) }
            resources.append(entry)
            for sub in type.subresources {
                resources.append(["name": .string("\(type.resource)/\(sub.name)"), "singularName": "",
                                  "namespaced": .bool(type.namespaced), "kind": .string(sub.kind),
                                  "verbs": .array(sub.verbs.map { .string($0) })])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    /// `/version`.
    static func version(_ gitVersion: String) -> JSONValue {
        let numbers = gitVersion.drop(while: { $0 == "v" }).split(separator: ".")
        let major = numbers.first.map(String.init) ?? "1"
        let minor = numbers.count > 1 ? String(numbers[1]) : "0"
        return ["major": .string(major), "minor": .string(minor), "gitVersion": .string(gitVersion),
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.8", "compiler": "gc", "platform": "linux/amd64"]
    }
}
