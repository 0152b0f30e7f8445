import Kube

/// The sandbox's API semantics, independent of HTTP: discovery, OpenAPI and the resources.
public final class SandboxAPI: Sendable {
    public struct Options: Sendable {
        public var kubernetesVersion: String
        /// `host:port` clients use, for legacy discovery's serverAddressByClientCIDRs.
        public var serverAddress: String
        /// The rules file SelfSubjectRulesReview reports from (`--rules-file`), read at every review
        /// so a test can change it; nil: everyone may do everything.
        public var rulesFile: String?

        public init(kubernetesVersion: String = "v1.32.5", serverAddress: String = "127.0.0.1:6443", rulesFile: String? = nil) {
            self.kubernetesVersion = kubernetesVersion
            self.serverAddress = serverAddress
            self.rulesFile = rulesFile
        }
    }

    public static let systemNamespaces = ["default", "kube-node-lease", "kube-public", "kube-system"]

    public let store: ObjectStore
    public let options: Options

    public init(options: Options, store: ObjectStore = ObjectStore()) {
        self.options = options
        self.store = store
        for name in Self.systemNamespaces {
            _ = try? ObjectWrites(api: self).create(type: Self.namespaceType, namespace: "",
                                                    object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]],
                                                    dryRun: false)
        }
    }

    static let namespaceType = ResourceCatalog.all[0]

    public func handle(_ request: APIRequest) -> APIResponse {
        guard request.info.isResourceRequest else { return handleNonResource(request) }
        if request.info.apiGroup == "authorization.k8s.io", request.info.apiVersion == "v1",
           request.info.resource == "selfsubjectrulesreviews", request.info.namespace.isEmpty {
            return SelfSubjectRulesReviews(rulesFile: options.rulesFile).handle(request)
        }
        return ResourceRoutes(api: self).handle(request)
    }

    /// Whether the path is served without authentication, like kube-apiserver's public-info paths.
    public static func isPublicPath(_ path: String) -> Bool {
        ["/version", "/version/", "/healthz", "/livez", "/readyz"].contains(path)
    }

    private func handleNonResource(_ request: APIRequest) -> APIResponse {
        let path = String(request.info.path.trimmingSuffix("/"))
        guard request.method == "GET" || request.method == "HEAD" else {
            return .status(Status.methodNotSupported(GroupResource(resource: ""), action: request.info.verb))
        }
        switch path {
        case "/version": return .json(code: 200, body: DiscoveryDocuments.version(options.kubernetesVersion))
        case "/healthz", "/livez", "/readyz": return .raw(code: 200, body: Array("ok".utf8), contentType: "text/plain; charset=utf-8")
        case "/api":
            if DiscoveryDocuments.wantsAggregated(request.accept) {
                return .json(code: 200, body: DiscoveryDocuments.aggregated(core: true), contentType: DiscoveryDocuments.aggregatedContentType)
            }
            return .json(code: 200, body: DiscoveryDocuments.apiVersions(serverAddress: options.serverAddress))
        case "/apis":
            if DiscoveryDocuments.wantsAggregated(request.accept) {
                return .json(code: 200, body: DiscoveryDocuments.aggregated(core: false), contentType: DiscoveryDocuments.aggregatedContentType)
            }
            return .json(code: 200, body: DiscoveryDocuments.apiGroupList())
        case "/openapi/v2":
            if request.accept.contains("protobuf"), !request.accept.contains("json") {
                return .raw(code: 200, body: OpenAPIDocuments.v2Protobuf(kubernetesVersion: options.kubernetesVersion),
                            contentType: OpenAPIDocuments.protobufV2ContentType)
            }
            return .json(code: 200, body: OpenAPIDocuments.v2JSON(kubernetesVersion: options.kubernetesVersion))
        case "/openapi/v3":
            return .json(code: 200, body: OpenAPIDocuments.v3Root(hash: OpenAPIDocuments.hash(kubernetesVersion: options.kubernetesVersion)))
        default:
            return discoveryOrOpenAPIPath(path)
        }
    }

    private func discoveryOrOpenAPIPath(_ path: String) -> APIResponse {
        if path.hasPrefix("/openapi/v3/"),
           let doc = OpenAPIDocuments.v3Document(path: String(path.dropFirst("/openapi/v3/".count)), kubernetesVersion: options.kubernetesVersion) {
            return .json(code: 200, body: doc)
        }
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 2, parts[0] == "api", let list = DiscoveryDocuments.apiResourceList(group: "", version: parts[1]) {
            return .json(code: 200, body: list)
        }
        if parts.count == 2, parts[0] == "apis", ResourceCatalog.groups.contains(parts[1]) {
            return .json(code: 200, body: DiscoveryDocuments.apiGroup(parts[1]))
        }
        if parts.count == 3, parts[0] == "apis", let list = DiscoveryDocuments.apiResourceList(group: parts[1], version: parts[2]) {
            return .json(code: 200, body: list)
        }
        return .status(Status.notFoundPath())
    }
}

extension StringProtocol {
    func trimmingSuffix(_ suffix: Character) -> SubSequence {
        var s = self[...]
        while s.count > 1, s.last == suffix { s = s.dropLast() }
        return s
    }
}
