/// Resolves RequestInfo from the method and request-target exactly as kube-apiserver's
/// `RequestInfoFactory` does with `APIPrefixes = {api, apis}` and `GrouplessAPIPrefixes = {api}`.
public enum RequestInfoResolver {
    static let specialVerbs: Set<String> = ["proxy", "watch"]
    static let specialVerbsNoSubresources: Set<String> = ["proxy"]
    static let namespaceSubresources: Set<String> = ["status", "finalize"]
    static let verbsWithSelectors: Set<String> = ["list", "watch", "deletecollection"]

    public static func resolve(method: String, target: String) throws(RequestInfoError) -> RequestInfo {
        try resolve(method: method, target: RequestTarget(target))
    }

    public static func resolve(method: String, target: RequestTarget) throws(RequestInfoError) -> RequestInfo {
        var info = RequestInfo(path: target.path, verb: method.lowercased())
        var parts = splitPath(target.path)[...]
        guard parts.count >= 3, let prefix = parts.first, prefix == "api" || prefix == "apis" else { return info }
        info.apiPrefix = prefix
        parts = parts.dropFirst()
        if prefix == "apis" {
            guard parts.count >= 3 else { return info }
            info.apiGroup = parts.removeFirst()
        }
        info.isResourceRequest = true
        info.apiVersion = parts.removeFirst()

        var verbViaPathPrefix = false
        if let first = parts.first, specialVerbs.contains(first) {
            guard parts.count >= 2 else {
                throw RequestInfoError(partial: info, message: "unable to determine kind and namespace from url, \(target.rawPath)")
            }
            info.verb = first
            parts = parts.dropFirst()
            verbViaPathPrefix = true
        } else {
            info.verb = verb(forMethod: method)
        }

        if parts.first == "namespaces" {
            if parts.count > 1 {
                info.namespace = parts[parts.startIndex + 1]
                if parts.count > 2, !namespaceSubresources.contains(parts[parts.startIndex + 2]) {
                    parts = parts.dropFirst(2)
                }
            }
        }
        info.parts = Array(parts)
        let p = info.parts
        if p.count >= 3, !specialVerbsNoSubresources.contains(info.verb) { info.subresource = p[2] }
        if p.count >= 2 { info.name = p[1] }
        if p.count >= 1 { info.resource = p[0] }

        if info.name.isEmpty, info.verb == "get" {
            let options = ListOptionsDecoding.decode(target.query)
            info.verb = options.watch ? "watch" : "list"
            if let name = options.fieldSelector?.requiresExactMatch("metadata.name"), isValidPathSegmentName(name) {
                info.name = name
            }
        }
        if info.name.isEmpty, info.verb == "delete" {
            info.verb = "deletecollection"
        }
        if !verbViaPathPrefix, verbsWithSelectors.contains(info.verb) {
            info.fieldSelector = target.query["fieldSelector"] ?? ""
            info.labelSelector = target.query["labelSelector"] ?? ""
        }
        return info
    }

    static func verb(forMethod method: String) -> String {
        switch method {
        case "POST": "create"
        case "GET", "HEAD": "get"
        case "PUT": "update"
        case "PATCH": "patch"
        case "DELETE": "delete"
        default: ""
        }
    }

    static func splitPath(_ path: String) -> [String] {
        let trimmed = path.trimmingSlashes()
        guard !trimmed.isEmpty else { return [] }
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    /// apimachinery's `path.IsValidPathSegmentName`: not `.` or `..`, and no `/` or `%`.
    static func isValidPathSegmentName(_ name: String) -> Bool {
        name != "." && name != ".." && !name.contains("/") && !name.contains("%")
    }
}

extension String {
    func trimmingSlashes() -> Substring {
        var s = Substring(self)
        while s.first == "/" { s = s.dropFirst() }
        while s.last == "/" { s = s.dropLast() }
        return s
    }
}
