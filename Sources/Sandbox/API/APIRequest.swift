import Kube

/// An authenticated request, as the HTTP layer hands it to ``SandboxAPI``.
public struct APIRequest: Sendable {
    public var method: String
    public var target: RequestTarget
    public var info: RequestInfo
    public var accept: String
    public var contentType: String
    /// The `Upgrade` header, lowercased; empty when absent.
    public var upgrade: String
    public var body: [UInt8]
    /// The identity the request runs as (the impersonated one, if any).
    public var user: UserInfo

    public init(method: String, target: RequestTarget, info: RequestInfo, accept: String = "", contentType: String = "",
                upgrade: String = "", body: [UInt8] = [], user: UserInfo) {
        self.method = method
        self.target = target
        self.info = info
        self.accept = accept
        self.contentType = contentType
        self.upgrade = upgrade
        self.body = body
        self.user = user
    }

    var query: QueryParameters { target.query }
    var isDryRun: Bool { query.values("dryRun").contains("All") }
    var wantsTable: Bool { accept.contains("as=Table") }
}

/// What ``SandboxAPI`` answers: a complete body, or a stream the HTTP layer runs.
public enum APIResponse: Sendable {
    case json(code: Int, body: JSONValue, contentType: String = "application/json")
    case raw(code: Int, body: [UInt8], contentType: String)
    case status(Status)
    case watch(WatchPlan)
    case logs(LogPlan)

    public var code: Int {
        switch self {
        case .json(let code, _, _), .raw(let code, _, _): code
        case .status(let status): status.code
        case .watch, .logs: 200
        }
    }
}

/// A watch the HTTP layer streams: one JSON event per chunk, flushed as it happens.
public struct WatchPlan: Sendable {
    public var type: ResourceType
    public var filter: ObjectFilter
    public var resourceVersion: Int64?
    public var asTable: Bool
    public var timeoutSeconds: Int64?
}

/// A container log the HTTP layer writes, and keeps writing when following.
public struct LogPlan: Sendable {
    public var namespace: String
    public var pod: String
    public var container: String
    public var podUID: String
    public var createdAt: KubeTime
    public var follow: Bool
    public var tailLines: Int?
    public var timestamps: Bool
}
