import Kube

/// Create, update, patch and delete with kube-apiserver's checks and messages.
struct ObjectWrites {
    let api: SandboxAPI
    var store: ObjectStore { api.store }

    func create(type: ResourceType, namespace: String, object input: JSONValue, dryRun: Bool) throws(Status) -> JSONValue {
        var object = input
        try checkTypeMeta(object, type: type)
        try resolveName(&object, type: type)
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        if type.namespaced {
            try checkNamespace(object, namespace: namespace)
            guard store.get(SandboxAPI.namespaceType, namespace: "", name: namespace) != nil else {
                throw Status.notFound(GroupResource(resource: "namespaces"), name: namespace)
            }
        }
        ObjectDefaults.prepareNew(&object, type: type, namespace: namespace, now: SandboxClock.now())
        let prepared = object
        let created = try store.mutate(type, namespace: type.namespaced ? namespace : "", name: name, dryRun: dryRun) {
            (current, _) throws(Status) -> JSONValue? in
            guard current == nil else { throw Status.alreadyExists(type.groupResource, name: name) }
            return prepared
        }
        if type.resource == "namespaces", !dryRun { createDefaultServiceAccount(in: name) }
        return created
    }

    private func createDefaultServiceAccount(in namespace: String) {
        guard let saType = ResourceCatalog.find(group: "", version: "v1", resource: "serviceaccounts") else { return }
        _ = try? create(type: saType, namespace: namespace,
                        object: ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]], dryRun: false)
    }

    /// PUT: replaces the object, optimistic on `metadata.resourceVersion` when the body has one.
    func update(type: ResourceType, namespace: String, name: String, subresource: String, object input: JSONValue,
                dryRun: Bool) throws(Status) -> JSONValue {
        var object = input
        try checkTypeMeta(object, type: type)
        let bodyName = object[path: "metadata", "name"]?.stringValue ?? ""
        guard bodyName == name else {
            throw Status.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if type.namespaced { try checkNamespace(object, namespace: namespace) }
        let expected = object[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        object[path: "metadata", "resourceVersion"] = nil
        let replacement = object
        return try store.mutate(type, namespace: namespace, name: name, dryRun: dryRun) { (current, _) throws(Status) -> JSONValue? in
            guard let current else { throw Status.notFound(type.groupResource, name: name) }
            try checkResourceVersion(expected, current: current, type: type, name: name)
            var new = replacement
            ObjectDefaults.prepareUpdate(&new, old: current, type: type, subresource: subresource)
            return new
        }
    }

    /// PATCH with any of the four patch types; an apply patch creates a missing object.
    func patch(type: ResourceType, namespace: String, name: String, subresource: String, patch body: [UInt8],
               contentType: String, dryRun: Bool) throws(Status) -> (object: JSONValue, created: Bool) {
        let media = BodyDecoding.mediaType(contentType)
        let kinds = ["application/json-patch+json", "application/merge-patch+json",
                     "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
        guard kinds.contains(media) else { throw Status.unsupportedMediaType(contentType) }
        let patch = try BodyDecoding.decode(body, contentType: media)
        let isApply = media == "application/apply-patch+yaml"
        if isApply, store.get(type, namespace: namespace, name: name) == nil {
            var object = patch
            object[path: "metadata", "name"] = .string(name)
            return (try create(type: type, namespace: namespace, object: object, dryRun: dryRun), true)
        }
        let expected = patch[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let updated = try store.mutate(type, namespace: namespace, name: name, dryRun: dryRun) { (current, _) throws(Status) -> JSONValue? in
            guard let current else { throw Status.notFound(type.groupResource, name: name) }
            if media != "application/json-patch+json" {
                try checkResourceVersion(expected, current: current, type: type, name: name)
            }
            var new = try applyPatch(patch, media: media, to: current)
            guard new[path: "metadata", "name"]?.stringValue == name else {
                throw Status.badRequest("the name of the object cannot be changed by a patch")
            }
            ObjectDefaults.prepareUpdate(&new, old: current, type: type, subresource: subresource)
            if subresource.isEmpty, let status = current["status"] { new["status"] = status }
            return new
        }
        return (updated, false)
    }

    private func applyPatch(_ patch: JSONValue, media: String, to current: JSONValue) throws(Status) -> JSONValue {
        switch media {
        case "application/json-patch+json":
            do { return try JSONPatch.apply(patch, to: current) } catch {
                throw Status(message: "the server rejected our request due to an error in our request: \(error.message)",
                             reason: "Invalid", details: StatusDetails(), code: 422)
            }
        case "application/merge-patch+json":
            return MergePatch.apply(patch, to: current)
        default:
            guard case .object = patch else { throw Status.badRequest("a strategic merge or apply patch must be a JSON object") }
            return StrategicMergePatch.apply(patch, to: current)
        }
    }

    /// DELETE of one object. Namespaces take everything in them along.
    func delete(type: ResourceType, namespace: String, name: String, dryRun: Bool) throws(Status) -> JSONValue {
        if type.resource == "namespaces", SandboxAPI.systemNamespaces.contains(name) {
            throw Status.forbidden(type.groupResource, name: name, "this namespace may not be deleted")
        }
        var deleted = try store.mutate(type, namespace: namespace, name: name, dryRun: dryRun) { (current, _) throws(Status) -> JSONValue? in
            guard current != nil else { throw Status.notFound(type.groupResource, name: name) }
            return nil
        }
        if type.resource == "namespaces" {
            if !dryRun {
                for contained in ResourceCatalog.all where contained.namespaced {
                    _ = store.deleteAll(contained, filter: ObjectFilter(namespace: name))
                }
            }
            deleted[path: "status", "phase"] = "Terminating"
        }
        deleted[path: "metadata", "deletionTimestamp"] = .string(SandboxClock.now().rfc3339)
        return deleted
    }

    private func checkTypeMeta(_ object: JSONValue, type: ResourceType) throws(Status) {
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != type.groupVersion {
            throw Status.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(type.groupVersion))")
        }
        if let kind = object["kind"]?.stringValue, kind != type.kind {
            throw Status.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(type.kind))")
        }
    }

    private func resolveName(_ object: inout JSONValue, type: ResourceType) throws(Status) {
        let name = object[path: "metadata", "name"]?.stringValue ?? ""
        if !name.isEmpty { return try validateName(name, type: type) }
        guard let prefix = object[path: "metadata", "generateName"]?.stringValue, !prefix.isEmpty else {
            throw Status.invalid(kind: type.kind, group: type.group, name: "",
                                 causes: [StatusCause(reason: "FieldValueRequired",
                                                      message: "Required value: name or generateName is required", field: "metadata.name")])
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        let suffix = String((0..<5).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
        object[path: "metadata", "name"] = .string(prefix + suffix)
    }

    /// DNS-1123 subdomain rules (lowercase alphanumerics, `-` and `.`, at most 253).
    private func validateName(_ name: String, type: ResourceType) throws(Status) {
        let allowed = name.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
        }
        let edgesOK = name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        guard allowed, edgesOK, name.utf8.count <= 253 else {
            let message = "Invalid value: \(goQuote(name)): a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            throw Status.invalid(kind: type.kind, group: type.group, name: name,
                                 causes: [StatusCause(reason: "FieldValueInvalid", message: message, field: "metadata.name")])
        }
    }

    private func checkNamespace(_ object: JSONValue, namespace: String) throws(Status) {
        if let bodyNamespace = object[path: "metadata", "namespace"]?.stringValue, !bodyNamespace.isEmpty, bodyNamespace != namespace {
            throw Status.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
    }

    private func checkResourceVersion(_ expected: String, current: JSONValue, type: ResourceType, name: String) throws(Status) {
        guard !expected.isEmpty else { return }
        guard expected == current[path: "metadata", "resourceVersion"]?.stringValue else {
            throw Status.conflict(type.groupResource, name: name, Status.modifiedConflictMessage)
        }
    }
}
