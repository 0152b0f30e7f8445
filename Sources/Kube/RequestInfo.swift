/// What a request to a Kubernetes API server is about, as kube-apiserver's RequestInfo states it.
/// Authorization, policy, the audit Event and the recording all key on these fields.
public struct RequestInfo: Sendable, Hashable {
    /// Whether the path names an API resource (`/api/...`, `/apis/...`) rather than a URL such
    /// as `/version` or `/openapi/v3`.
    public var isResourceRequest: Bool
    /// The decoded URL path.
    public var path: String
    /// The Kubernetes verb (`get`, `list`, `watch`, `create`, `deletecollection`, ...); for a
    /// non-resource request, the lowercase HTTP method.
    public var verb: String
    public var apiPrefix: String
    public var apiGroup: String
    public var apiVersion: String
    public var namespace: String
    public var resource: String
    public var subresource: String
    public var name: String
    /// The path parts starting at the resource: `resource/name/subresource/...`.
    public var parts: [String]
    /// The raw field selector of a list, watch or deletecollection; empty otherwise.
    public var fieldSelector: String
    /// The raw label selector of a list, watch or deletecollection; empty otherwise.
    public var labelSelector: String

    public init(isResourceRequest: Bool = false, path: String, verb: String, apiPrefix: String = "",
                apiGroup: String = "", apiVersion: String = "", namespace: String = "", resource: String = "",
                subresource: String = "", name: String = "", parts: [String] = [], fieldSelector: String = "",
                labelSelector: String = "") {
        self.isResourceRequest = isResourceRequest
        self.path = path
        self.verb = verb
        self.apiPrefix = apiPrefix
        self.apiGroup = apiGroup
        self.apiVersion = apiVersion
        self.namespace = namespace
        self.resource = resource
        self.subresource = subresource
        self.name = name
        self.parts = parts
        self.fieldSelector = fieldSelector
        self.labelSelector = labelSelector
    }

    public var groupResource: GroupResource { GroupResource(group: apiGroup, resource: resource) }

    /// Whether kube-apiserver treats the request as long-running, as its
    /// `BasicLongRunningRequestCheck({watch, proxy}, {attach, exec, proxy, log, portforward})`
    /// does: exempt from the request timeout, and audited at the ResponseStarted stage too.
    /// Every `log` request counts, followed or not.
    public var isLongRunning: Bool {
        if verb == "watch" || verb == "proxy" { return true }
        if !isResourceRequest { return path.hasPrefix("/debug/pprof/") }
        switch subresource {
        case "exec", "attach", "portforward", "proxy", "log": return true
        default: return false
        }
    }
}

/// Why RequestInfo could not be fully resolved. kube-apiserver answers such requests with a 500.
public struct RequestInfoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was known before resolution stopped.
    public var partial: RequestInfo
    public var message: String
    public var description: String { message }
}
