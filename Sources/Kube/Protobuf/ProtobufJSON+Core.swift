import Foundation

/// JSON forms of the core/v1 messages, as Go's encoder writes the types.
extension CoreV1ConfigMap {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        f.map("data", data)
        f.bytesMap("binaryData", binaryData)
        f.optional("immutable", hasImmutable, .bool(immutable))
        return f.object
    }
}

extension CoreV1Secret {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        if !data.isEmpty {
            let placeholder = Data(ProtobufSecrets.placeholder.utf8)
            f.always("data", .object(data.mapValues { $0 == placeholder ? .string(ProtobufSecrets.placeholder) : .string($0.base64EncodedString()) }))
        }
        f.map("stringData", stringData)
        f.string("type", type)
        f.optional("immutable", hasImmutable, .bool(immutable))
        return f.object
    }
}

extension CoreV1Namespace {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        var spec = ProtobufJSONFields()
        spec.strings("finalizers", self.spec.finalizers)
        f.always("spec", spec.object)
        var status = ProtobufJSONFields()
        status.string("phase", self.status.phase)
        f.always("status", status.object)
        return f.object
    }
}

extension CoreV1Pod {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        f.always("spec", spec.json)
        return f.object
    }
}

extension CoreV1PodTemplateSpec {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("metadata", metadata.json)
        f.always("spec", spec.json)
        return f.object
    }
}

extension CoreV1PodSpec {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("containers", .array(containers.map(\.json)))
        f.objects("initContainers", initContainers.map(\.json))
        f.string("restartPolicy", restartPolicy)
        f.optional("terminationGracePeriodSeconds", hasTerminationGracePeriodSeconds, .int(terminationGracePeriodSeconds))
        f.optional("activeDeadlineSeconds", hasActiveDeadlineSeconds, .int(activeDeadlineSeconds))
        f.string("dnsPolicy", dnsPolicy)
        f.map("nodeSelector", nodeSelector)
        f.string("serviceAccountName", serviceAccountName)
        f.string("nodeName", nodeName)
        f.bool("hostNetwork", hostNetwork)
        f.bool("hostPID", hostPid)
        f.bool("hostIPC", hostIpc)
        f.string("hostname", hostname)
        f.string("subdomain", subdomain)
        f.string("schedulerName", schedulerName)
        f.optional("automountServiceAccountToken", hasAutomountServiceAccountToken, .bool(automountServiceAccountToken))
        f.string("priorityClassName", priorityClassName)
        return f.object
    }
}

extension CoreV1Container {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("name", .string(name))
        f.string("image", image)
        f.strings("command", command)
        f.strings("args", args)
        f.string("workingDir", workingDir)
        f.objects("ports", ports.map { port in
            var p = ProtobufJSONFields()
            p.string("name", port.name)
            p.int("hostPort", port.hostPort)
            p.always("containerPort", .int(Int64(port.containerPort)))
            p.string("protocol", port.protocol)
            p.string("hostIP", port.hostIp)
            return p.object
        })
        f.objects("env", env.map { variable in
            var e = ProtobufJSONFields()
            e.always("name", .string(variable.name))
            e.string("value", variable.value)
            return e.object
        })
        if hasResources {
            var r = ProtobufJSONFields()
            if !resources.limits.isEmpty { r.always("limits", .object(resources.limits.mapValues(\.json))) }
            if !resources.requests.isEmpty { r.always("requests", .object(resources.requests.mapValues(\.json))) }
            f.always("resources", r.object)
        }
        f.string("terminationMessagePath", terminationMessagePath)
        f.string("terminationMessagePolicy", terminationMessagePolicy)
        f.string("imagePullPolicy", imagePullPolicy)
        f.bool("stdin", stdin)
        f.bool("stdinOnce", stdinOnce)
        f.bool("tty", tty)
        return f.object
    }
}

extension CoreV1SecretList {
    var json: JSONValue {
        .object(["metadata": metadata.json, "items": .array(items.map(\.json))])
    }
}

extension CoreV1ConfigMapList {
    var json: JSONValue {
        .object(["metadata": metadata.json, "items": .array(items.map(\.json))])
    }
}
