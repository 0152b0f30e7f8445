import Kube

/// The OpenAPI documents kubectl reads before `create -f` and `apply -f`.
///
/// v3 lists, for each type, a PATCH operation carrying the `fieldValidation` parameter, which is
/// what makes kubectl validate on the server instead of needing full schemas. The PATCH
/// operations have no request body, so kubectl builds apply patches from its built-in types.
enum OpenAPIDocuments {
    /// What kube-openapi answers, also to the deprecated `…spec.v2@v1.0+protobuf` Accept: Go's
    /// mime.ParseMediaType (kubectl 1.27 to 1.29 validating with OpenAPI v2) rejects the `@` form.
    static let protobufV2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    static func v3Path(group: String, version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    static var groupVersions: [(group: String, version: String)] {
        var seen: [String] = []
        var out: [(String, String)] = []
        for type in ResourceCatalog.all where !seen.contains(type.groupVersion) {
            seen.append(type.groupVersion)
            out.append((type.group, type.version))
        }
        return out
    }

    /// `/openapi/v3`: where each group-version's document is.
    static func v3Root(hash: String) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for (group, version) in groupVersions {
            let path = v3Path(group: group, version: version)
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return ["paths": .object(paths)]
    }

    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`; nil when not served.
    static func v3Document(path: String, kubernetesVersion: String) -> JSONValue? {
        guard let (group, version) = groupVersions.first(where: { v3Path(group: $0.group, version: $0.version) == path }) else {
            return nil
        }
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [:]
        for type in ResourceCatalog.resources(group: group, version: version) {
            let gvk: JSONValue = ["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]
            let prefix = "/" + v3Path(group: group, version: version) + (type.namespaced ? "/namespaces/{namespace}" : "")
            paths["\(prefix)/\(type.resource)/{name}"] = ["patch": [
                "operationId": .string("patch\(type.kind)"),
                "parameters": .array(["dryRun", "fieldManager", "fieldValidation", "force"].map {
                    ["name": .string($0), "in": "query", "schema": ["type": $0 == "force" ? "boolean" : "string"]]
                }),
                "responses": ["200": ["description": "OK"]],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
            ]]
            let schemaGroup = group.isEmpty ? "core" : group
            schemas["io.k8s.api.\(schemaGroup).\(version).\(type.kind)"] = [
                "type": "object", "x-kubernetes-group-version-kind": [gvk],
            ]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": .string(kubernetesVersion)],
                "paths": .object(paths), "components": ["schemas": .object(schemas)]]
    }

    /// `/openapi/v2` as JSON: a Swagger 2.0 document naming our types.
    static func v2JSON(kubernetesVersion: String) -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        for type in ResourceCatalog.all {
            let schemaGroup = type.group.isEmpty ? "core" : type.group
            definitions["io.k8s.api.\(schemaGroup).\(type.version).\(type.kind)"] = [
                "type": "object",
                "x-kubernetes-group-version-kind": [["group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind)]],
            ]
        }
        return ["swagger": "2.0", "info": ["title": "Kubernetes", "version": .string(kubernetesVersion)],
                "paths": [:], "definitions": .object(definitions)]
    }

    /// `/openapi/v2` in the protobuf form client-go asks for: a gnostic `openapi_v2.Document`
    /// with only `swagger` and `info` set, from which kubectl falls back to its built-in types.
    static func v2Protobuf(kubernetesVersion: String) -> [UInt8] {
        var info: [UInt8] = []
        appendString(field: 1, "Kubernetes", to: &info)
        appendString(field: 2, kubernetesVersion, to: &info)
        var document: [UInt8] = []
        appendString(field: 1, "2.0", to: &document)
        appendBytes(field: 2, info, to: &document)
        return document
    }

    private static func appendString(field: UInt8, _ text: String, to out: inout [UInt8]) {
        appendBytes(field: field, Array(text.utf8), to: &out)
    }

    private static func appendBytes(field: UInt8, _ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(field << 3 | 2)
        var length = bytes.count
        repeat {
            var byte = UInt8(length & 0x7F)
            length >>= 7
            if length > 0 { byte |= 0x80 }
            out.append(byte)
        } while length > 0
        out.append(contentsOf: bytes)
    }

    /// A stable hash of the documents for `?hash=` URLs.
    static func hash(kubernetesVersion: String) -> String {
        let text = kubernetesVersion + ResourceCatalog.all.map(\.resource).joined()
        let value = text.utf8.reduce(UInt64(14695981039346656037)) { ($0 ^ UInt64($1)) &* 1099511628211 }
        return String(value, radix: 16, uppercase: true)
    }
}
