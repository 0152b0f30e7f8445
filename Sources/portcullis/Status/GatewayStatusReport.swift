import Foundation
import Intercept
import Kube
import Proxy
import Store

/// What `GET /v1/status` adds to the policy section: whether the gateway is enforcing, and the
/// state of each part that makes it so. Runs in the gateway, which has the capabilities to read
/// the rules.
struct GatewayStatusReport: Sendable {
    var renderer: RuleRenderer
    var backend: NetfilterBackend
    var queueGuard: NetfilterQueueGuard
    var proxy: GatewayProxy
    var writer: StoreWriter
    var authenticator: OIDCAuthenticator
    var policy: AccessPolicy
    var metricsAddress: String?
    var central: CentralRuntime?
    var attribution: CallerAttribution?

    func sections() -> [(String, JSONValue)] {
        var problems: [String] = []
        let now = StoreClock.now()

        var drift: [String] = []
        do {
            drift = try RuleVerifier(renderer: renderer, backend: backend)
                .verify(checkQueue: true, queueListening: { queueGuard.isRunning }).map(\.description)
            if !drift.isEmpty { problems.append("the rules drifted: " + drift.joined(separator: "; ")) }
        } catch {
            drift = ["cannot read the rules: \(error)"]
            problems.append("the rules cannot be read: \(error)")
        }
        let rules: JSONValue = ["verified": .bool(drift.isEmpty), "backend": .string(backend.kind.rawValue),
                                "drift": .array(drift.map(JSONValue.string))]

        let listening = proxy.boundAddresses.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        if listening.isEmpty { problems.append("the proxy is not listening") }

        let queue = queueGuard.statistics
        if !queueGuard.isRunning { problems.append("the guard is not attached to netfilter queue \(renderer.configuration.queueNumber)") }
        let guardSection: JSONValue = [
            "attached": .bool(queueGuard.isRunning), "queue": .int(Int64(renderer.configuration.queueNumber)),
            "packets": .int(Int64(queue.packets)), "verdictFailures": .int(Int64(queue.verdictFailures)),
            "receiveOverruns": .int(Int64(queue.receiveOverruns)),
        ]

        let (store, lastHour) = StatusParts.store(writer, now: now, problems: &problems)
        let issuers = StatusParts.issuers(authenticator, now: now, problems: &problems)
        if let error = policy.status.lastError { problems.append("the last policy reload was refused: \(error)") }

        return [
            ("enforcing", .bool(problems.isEmpty)), ("problems", .array(problems.map(JSONValue.string))),
            ("rules", rules), ("proxy", ["listening": .array(listening.map(JSONValue.string))]), ("guard", guardSection),
            ("store", store), ("issuers", issuers), ("lastHour", lastHour),
            ("metrics", metricsAddress.map(JSONValue.string) ?? .null),
            ("central", central?.statusSection() ?? .null), ("callers", AttributionStatus.section(attribution)),
        ]
    }
}
