import Kube
import NIOHTTP1

/// Everything an exec or attach session (WebSocket or SPDY/3.1) needs, checked before the 101 is
/// sent. ``make(head:sourceIP:services:channelProtocol:)`` returns nil whenever the upgrade must be
/// refused; the request then reaches ``APIServerHandler``, which answers with the reason.
struct ExecSessionPlan: Sendable {
    enum Kind: String, Sendable { case exec, attach }

    var kind: Kind
    var admitted: AdmittedRequest
    var channelProtocol: ChannelProtocol
    var namespace: String
    var pod: String
    var container: String
    var command: [String]
    var stdin: Bool
    var stdout: Bool
    var stderr: Bool
    var tty: Bool
    var environment: [String: String]

    /// The plan for a WebSocket upgrade, negotiating the subprotocol from `Sec-WebSocket-Protocol`.
    static func make(head: HTTPRequestHead, sourceIP: String, services: SandboxServices) -> ExecSessionPlan? {
        make(head: head, sourceIP: sourceIP, services: services,
             channelProtocol: ChannelProtocol.negotiate(head.headers[canonicalForm: "sec-websocket-protocol"].map(String.init)))
    }

    /// The plan for an upgrade whose transport negotiated `channelProtocol` (`nil`: nothing acceptable was offered).
    static func make(head: HTTPRequestHead, sourceIP: String, services: SandboxServices,
                     channelProtocol: ChannelProtocol?) -> ExecSessionPlan? {
        let admitted = AdmittedRequest(head: head, sourceIP: sourceIP, authenticator: services.authenticator)
        let info = admitted.info
        guard admitted.refusal == nil, admitted.identity != nil, info.isResourceRequest, info.apiGroup.isEmpty,
              info.resource == "pods", let kind = Kind(rawValue: info.subresource),
              let channelProtocol,
              let target = try? ExecTarget.validate(store: services.api.store, namespace: info.namespace, pod: info.name,
                                                    query: admitted.target.query)
        else { return nil }
        let query = admitted.target.query
        let command = query.values("command")
        if kind == .exec, command.isEmpty { return nil }
        return ExecSessionPlan(
            kind: kind, admitted: admitted, channelProtocol: channelProtocol, namespace: info.namespace, pod: info.name,
            container: target.container, command: command, stdin: ListOptionsDecoding.boolValue(query["stdin"]),
            stdout: ListOptionsDecoding.boolValue(query["stdout"]), stderr: ListOptionsDecoding.boolValue(query["stderr"]),
            tty: ListOptionsDecoding.boolValue(query["tty"]),
            environment: environment(pod: target.pod, container: target.container, tty: ListOptionsDecoding.boolValue(query["tty"])))
    }

    private static func environment(pod: JSONValue, container: String, tty: Bool) -> [String: String] {
        var env = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                   "HOSTNAME": pod[path: "metadata", "name"]?.stringValue ?? "",
                   "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        if tty { env["TERM"] = "xterm" }
        let spec = (pod[path: "spec", "containers"]?.arrayValue ?? []).first { $0["name"]?.stringValue == container }
        for variable in spec?["env"]?.arrayValue ?? [] {
            if let name = variable["name"]?.stringValue { env[name] = variable["value"]?.stringValue ?? "" }
        }
        return env
    }
}
