import Kube

/// What policy decides on: who asks, and what for.
public struct AccessRequest: Sendable, Hashable {
    public var username: String
    /// The verified groups, plus `system:authenticated` as kube-apiserver adds it to every
    /// authenticated (and impersonated) user.
    public var groups: [String]
    /// The request, with one change: exec, attach and port-forward are `create` on their
    /// subresource however they are opened (kubectl 1.30+ opens them with a WebSocket GET, which
    /// kube-apiserver also authorizes as `create`).
    public var info: RequestInfo

    public init(username: String, groups: [String], info: RequestInfo) {
        self.username = username
        self.groups = groups.contains("system:authenticated") ? groups : groups + ["system:authenticated"]
        var info = info
        if info.isResourceRequest, info.verb == "get", ["exec", "attach", "portforward"].contains(info.subresource) {
            info.verb = "create"
        }
        self.info = info
    }
}
