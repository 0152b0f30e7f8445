import Kube

/// Renders objects as the `meta.k8s.io/v1` Table kubectl asks for, with the columns
/// kube-apiserver's printers give each type.
enum TableRenderer {
    struct Column {
        var name: String
        var type: String
        var format: String = ""
        var priority: Int64 = 0
        var description: String = ""
        var cell: @Sendable (JSONValue, KubeTime) -> JSONValue
    }

    static func table(_ type: ResourceType, objects: [JSONValue], resourceVersion: String, withColumns: Bool = true,
                      now: KubeTime, continueToken: String? = nil) -> JSONValue {
        let cols = columns(for: type)
        var metadata: JSONValue = ["resourceVersion": .string(resourceVersion)]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        let definitions: JSONValue = withColumns ? .array(cols.map { col in
            ["name": .string(col.name), "type": .string(col.type), "format": .string(col.format),
             "description": .string(col.description), "priority": .int(col.priority)]
        }) : .null
        let rows: [JSONValue] = objects.map { object in
            ["cells": .array(cols.map { $0.cell(object, now) }),
             "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] ?? [:]]]
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
                "columnDefinitions": definitions, "rows": .array(rows)]
    }

    static func columns(for type: ResourceType) -> [Column] {
        let name = Column(name: "Name", type: "string", format: "name",
                          description: "Name must be unique within a namespace.") { o, _ in o[path: "metadata", "name"] ?? "" }
        let age = Column(name: "Age", type: "string",
                         description: "CreationTimestamp is a timestamp representing the server time when this object was created.") { o, now in
            guard let text = o[path: "metadata", "creationTimestamp"]?.stringValue, let t = KubeTime(rfc3339: text) else { return "<unknown>" }
            return .string(HumanDuration.format(seconds: now.seconds - t.seconds))
        }
        switch type.resource {
        case "namespaces":
            return [name, Column(name: "Status", type: "string") { o, _ in o[path: "status", "phase"] ?? "" }, age]
        case "pods":
            return [name,
                    Column(name: "Ready", type: "string") { o, _ in .string(readyCount(o)) },
                    Column(name: "Status", type: "string") { o, _ in o[path: "status", "phase"] ?? "" },
                    Column(name: "Restarts", type: "string") { _, _ in "0" },
                    age,
                    Column(name: "IP", type: "string", priority: 1) { o, _ in o[path: "status", "podIP"] ?? "<none>" },
                    Column(name: "Node", type: "string", priority: 1) { o, _ in o[path: "spec", "nodeName"] ?? "<none>" },
                    Column(name: "Nominated Node", type: "string", priority: 1) { _, _ in "<none>" },
                    Column(name: "Readiness Gates", type: "string", priority: 1) { _, _ in "<none>" }]
        case "configmaps":
            return [name, Column(name: "Data", type: "integer") { o, _ in .int(Int64(o["data"]?.objectValue?.count ?? 0) + Int64(o["binaryData"]?.objectValue?.count ?? 0)) }, age]
        case "secrets":
            return [name, Column(name: "Type", type: "string") { o, _ in o["type"] ?? "Opaque" },
                    Column(name: "Data", type: "integer") { o, _ in .int(Int64(o["data"]?.objectValue?.count ?? 0)) }, age]
        case "serviceaccounts":
            return [name, Column(name: "Secrets", type: "integer") { o, _ in .int(Int64(o["secrets"]?.arrayValue?.count ?? 0)) }, age]
        case "deployments":
            return [name,
                    Column(name: "Ready", type: "string") { o, _ in
                        .string("\(o[path: "status", "readyReplicas"]?.intValue ?? 0)/\(o[path: "spec", "replicas"]?.intValue ?? 0)")
                    },
                    Column(name: "Up-to-date", type: "integer") { o, _ in .int(o[path: "status", "updatedReplicas"]?.intValue ?? 0) },
                    Column(name: "Available", type: "integer") { o, _ in .int(o[path: "status", "availableReplicas"]?.intValue ?? 0) },
                    age,
                    Column(name: "Containers", type: "string", priority: 1) { o, _ in .string(containerField(o, "name", template: true)) },
                    Column(name: "Images", type: "string", priority: 1) { o, _ in .string(containerField(o, "image", template: true)) },
                    Column(name: "Selector", type: "string", priority: 1) { o, _ in
                        let labels = o[path: "spec", "selector", "matchLabels"]?.objectValue ?? [:]
                        return .string(labels.keys.sorted().map { "\($0)=\(labels[$0]?.stringValue ?? "")" }.joined(separator: ","))
                    }]
        default:
            return [name, age]
        }
    }

    private static func readyCount(_ pod: JSONValue) -> String {
        let statuses = pod[path: "status", "containerStatuses"]?.arrayValue ?? []
        let total = pod[path: "spec", "containers"]?.arrayValue?.count ?? statuses.count
        return "\(statuses.filter { $0["ready"]?.boolValue == true }.count)/\(total)"
    }

    private static func containerField(_ object: JSONValue, _ field: String, template: Bool) -> String {
        let containers = object[path: "spec", "template", "spec", "containers"]?.arrayValue ?? []
        return containers.compactMap { $0[field]?.stringValue }.joined(separator: ",")
    }
}
