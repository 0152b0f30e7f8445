import Foundation
import Kube

/// What kube-apiserver and the controllers would fill in on a new or updated object, reduced to
/// what kubectl shows: identity and timestamps, a running pod's status, a ready deployment.
enum ObjectDefaults {
    /// Fills server-owned metadata and the type's status on a new object.
    static func prepareNew(_ object: inout JSONValue, type: ResourceType, namespace: String, now: KubeTime) {
        object["apiVersion"] = .string(type.groupVersion)
        object["kind"] = .string(type.kind)
        if type.namespaced { object[path: "metadata", "namespace"] = .string(namespace) }
        object[path: "metadata", "uid"] = .string(UUID().uuidString.lowercased())
        object[path: "metadata", "creationTimestamp"] = .string(now.rfc3339)
        object[path: "metadata", "deletionTimestamp"] = nil
        object[path: "metadata", "managedFields"] = nil
        switch type.resource {
        case "namespaces": prepareNamespace(&object)
        case "pods": preparePod(&object, now: now)
        case "secrets": prepareSecret(&object)
        case "deployments":
            object[path: "metadata", "generation"] = 1
            prepareDeployment(&object)
        default: break
        }
    }

    /// Carries server-owned fields of `old` into `new` for an update of the main resource, and
    /// recomputes what depends on the spec.
    static func prepareUpdate(_ new: inout JSONValue, old: JSONValue, type: ResourceType, subresource: String) {
        new["apiVersion"] = .string(type.groupVersion)
        new["kind"] = .string(type.kind)
        for key in ["uid", "creationTimestamp", "namespace", "name"] {
            new[path: "metadata", key] = old[path: "metadata", key]
        }
        if subresource == "status" {
            var kept = old
            kept["status"] = new["status"]
            kept[path: "metadata", "resourceVersion"] = new[path: "metadata", "resourceVersion"]
            new = kept
            return
        }
        new["status"] = old["status"]
        switch type.resource {
        case "namespaces": prepareNamespace(&new)
        case "secrets": prepareSecret(&new)
        case "deployments":
            let generation = old[path: "metadata", "generation"]?.intValue ?? 1
            new[path: "metadata", "generation"] = .int(new["spec"] == old["spec"] ? generation : generation + 1)
            prepareDeployment(&new)
        case "pods":
            if new["spec"] != old["spec"] { refreshContainerStatuses(&new) }
        default: break
        }
    }

    static func prepareNamespace(_ object: inout JSONValue) {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        object[path: "metadata", "labels", "kubernetes.io/metadata.name"] = .string(name)
        if object[path: "spec", "finalizers"] == nil { object[path: "spec", "finalizers"] = ["kubernetes"] }
        object[path: "status", "phase"] = "Active"
    }

    static func preparePod(_ object: inout JSONValue, now: KubeTime) {
        if object[path: "spec", "nodeName"] == nil { object[path: "spec", "nodeName"] = "sandbox-node" }
        if object[path: "spec", "restartPolicy"] == nil { object[path: "spec", "restartPolicy"] = "Always" }
        if object[path: "spec", "serviceAccountName"] == nil { object[path: "spec", "serviceAccountName"] = "default" }
        let started = JSONValue.string(now.rfc3339)
        let conditions: [JSONValue] = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"].map {
            ["type": .string($0), "status": "True", "lastProbeTime": nil, "lastTransitionTime": started]
        }
        object["status"] = [
            "phase": "Running", "conditions": .array(conditions), "hostIP": "10.0.0.10",
            "hostIPs": [["ip": "10.0.0.10"]], "podIP": .string(podIP(for: object)),
            "podIPs": [["ip": .string(podIP(for: object))]], "startTime": started, "qosClass": "BestEffort",
        ]
        refreshContainerStatuses(&object)
    }

    static func refreshContainerStatuses(_ object: inout JSONValue) {
        let started = object[path: "status", "startTime"] ?? .string(SandboxClock.now().rfc3339)
        let statuses: [JSONValue] = (object[path: "spec", "containers"]?.arrayValue ?? []).map { container in
            let image = container["image"] ?? ""
            return [
                "name": container["name"] ?? "", "image": image, "imageID": .string("sandbox://\(image.stringValue ?? "")"),
                "containerID": .string("sandbox://\(UUID().uuidString.lowercased())"), "ready": true, "started": true,
                "restartCount": 0, "state": ["running": ["startedAt": started]],
            ]
        }
        object[path: "status", "containerStatuses"] = .array(statuses)
    }

    /// A stable pod IP in 10.244.0.0/16 derived from the pod's uid.
    static func podIP(for object: JSONValue) -> String {
        let uid = object[path: "metadata", "uid"]?.stringValue ?? ""
        let hash = uid.utf8.reduce(UInt32(2166136261)) { ($0 ^ UInt32($1)) &* 16777619 }
        return "10.244.\((hash >> 8) % 255).\(hash % 253 + 2)"
    }

    static func prepareSecret(_ object: inout JSONValue) {
        if object["type"] == nil { object["type"] = "Opaque" }
        guard let stringData = object["stringData"]?.objectValue else { return }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in stringData {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        object["data"] = .object(data)
        object["stringData"] = nil
    }

    static func prepareDeployment(_ object: inout JSONValue) {
        if object[path: "spec", "replicas"] == nil { object[path: "spec", "replicas"] = 1 }
        let replicas = object[path: "spec", "replicas"]?.intValue ?? 1
        let now = object[path: "status", "conditions"]?.arrayValue?.first?["lastTransitionTime"]
            ?? .string(SandboxClock.now().rfc3339)
        object["status"] = [
            "observedGeneration": object[path: "metadata", "generation"] ?? 1,
            "replicas": .int(replicas), "updatedReplicas": .int(replicas), "readyReplicas": .int(replicas),
            "availableReplicas": .int(replicas),
            "conditions": [[
                "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.", "lastUpdateTime": now, "lastTransitionTime": now,
            ]],
        ]
        if replicas == 0 {
            for key in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] { object[path: "status", key] = nil }
        }
    }
}
