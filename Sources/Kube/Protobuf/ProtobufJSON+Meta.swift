import Foundation

/// JSON forms of the apimachinery messages, as Go's encoder writes the types.
extension MetaV1ObjectMeta {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.string("name", name)
        f.string("generateName", generateName)
        f.string("namespace", namespace)
        f.string("selfLink", selfLink)
        f.string("uid", uid)
        f.string("resourceVersion", resourceVersion)
        f.int("generation", generation)
        if let time = creationTimestamp.json(has: hasCreationTimestamp) { f.always("creationTimestamp", time) }
        if let time = deletionTimestamp.json(has: hasDeletionTimestamp) { f.always("deletionTimestamp", time) }
        f.optional("deletionGracePeriodSeconds", hasDeletionGracePeriodSeconds, .int(deletionGracePeriodSeconds))
        f.map("labels", labels)
        f.map("annotations", annotations)
        f.objects("ownerReferences", ownerReferences.map(\.json))
        f.strings("finalizers", finalizers)
        f.objects("managedFields", managedFields.map(\.json))
        return f.object
    }
}

extension MetaV1Time {
    /// RFC 3339 in seconds, as metav1.Time writes itself; nil for the zero time (an empty message,
    /// which is how Go encodes it), which Go leaves out. A time outside years 1 to 9999 is written
    /// as its seconds, so no input can make the rendering fail.
    func json(has: Bool) -> JSONValue? {
        guard has, seconds != 0 || nanos != 0 else { return nil }
        guard (-62_135_596_800...253_402_300_799).contains(seconds) else { return .string("\(seconds)s after the epoch") }
        return .string(KubeTime(seconds: seconds).rfc3339)
    }
}

extension MetaV1OwnerReference {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("apiVersion", .string(apiVersion))
        f.always("kind", .string(kind))
        f.always("name", .string(name))
        f.always("uid", .string(uid))
        f.optional("controller", hasController, .bool(controller))
        f.optional("blockOwnerDeletion", hasBlockOwnerDeletion, .bool(blockOwnerDeletion))
        return f.object
    }
}

extension MetaV1ManagedFieldsEntry {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.string("manager", manager)
        f.string("operation", operation)
        f.string("apiVersion", apiVersion)
        if let time = time.json(has: hasTime) { f.always("time", time) }
        f.string("fieldsType", fieldsType)
        if hasFieldsV1 {
            // FieldsV1 holds JSON (field paths, never values); anything else is kept as base64.
            let raw = Array(fieldsV1.raw)
            f.always("fieldsV1", (try? JSONParser.parse(raw)) ?? .string(fieldsV1.raw.base64EncodedString()))
        }
        f.string("subresource", subresource)
        return f.object
    }
}

extension MetaV1ListMeta {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.string("selfLink", selfLink)
        f.string("resourceVersion", resourceVersion)
        f.string("continue", `continue`)
        f.optional("remainingItemCount", hasRemainingItemCount, .int(remainingItemCount))
        return f.object
    }
}

extension MetaV1LabelSelector {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.map("matchLabels", matchLabels)
        f.objects("matchExpressions", matchExpressions.map { requirement in
            var r = ProtobufJSONFields()
            r.always("key", .string(requirement.key))
            r.always("operator", .string(requirement.operator))
            r.strings("values", requirement.values)
            return r.object
        })
        return f.object
    }
}

extension MetaV1Status {
    var json: JSONValue {
        var f = ProtobufJSONFields()
        f.always("kind", .string("Status"))
        f.always("apiVersion", .string("v1"))
        f.always("metadata", metadata.json)
        f.string("status", status)
        f.string("message", message)
        f.string("reason", reason)
        if hasDetails {
            var d = ProtobufJSONFields()
            d.string("name", details.name)
            d.string("group", details.group)
            d.string("kind", details.kind)
            d.string("uid", details.uid)
            d.objects("causes", details.causes.map { cause in
                var c = ProtobufJSONFields()
                c.string("reason", cause.reason)
                c.string("message", cause.message)
                c.string("field", cause.field)
                return c.object
            })
            d.int("retryAfterSeconds", details.retryAfterSeconds)
            f.nested("details", true, d.object)
        }
        f.int("code", code)
        return f.object
    }
}

extension IntstrIntOrString {
    /// An integer or a string, as intstr.IntOrString writes itself.
    var json: JSONValue { type == 1 ? .string(strVal) : .int(Int64(intVal)) }
}

extension ResourceQuantity {
    var json: JSONValue { .string(string) }
}
