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

        let statistics = writer.statistics
        if let reason = statistics.unavailableReason { problems.append("the store cannot be written: \(reason)") }
        var store: [String: JSONValue] = [
            "path": .string(writer.database.path), "writable": .bool(statistics.isAvailable),
            "durability": .string(writer.database.durability.rawValue), "durabilityPromise": .string(writer.database.durability.promise),
            "queueDepth": .int(Int64(statistics.queueDepth)), "backlogDepth": .int(Int64(statistics.backlogDepth)),
        ]
        if let reason = statistics.unavailableReason { store["reason"] = .string(reason) }
        let bytes = ["", "-wal"].compactMap { suffix in
            (try? FileManager.default.attributesOfItem(atPath: writer.database.path + suffix))?[.size] as? Int
        }.reduce(0, +)
        store["bytes"] = .int(Int64(bytes))
        let reader = StoreReader(writer.database)
        var lastHour: JSONValue = .null
        do {
            let span = try reader.recordSpan()
            if let oldest = span.oldest { store["oldest"] = .string(KubeTime(microseconds: oldest).rfc3339Micro) }
            if let newest = span.newest { store["newest"] = .string(KubeTime(microseconds: newest).rfc3339Micro) }
            let counts = try reader.outcomeCounts(since: now.microseconds - 3_600_000_000)
            lastHour = .object(counts.mapValues { .int(Int64($0)) })
        } catch {
            problems.append("the store cannot be read: \(error)")
        }

        var issuers: [JSONValue] = []
        for key in authenticator.keyStatus {
            var item: [String: JSONValue] = ["issuer": .string(key.issuer), "keys": .int(Int64(key.keyCount))]
            if let fetched = key.fetchedAt {
                item["fetchedAt"] = .string(KubeTime(microseconds: Int64(fetched * 1_000_000)).rfc3339)
                item["ageSeconds"] = .int(Int64(Double(now.microseconds) / 1_000_000 - fetched))
            }
            if let error = key.lastError { item["lastError"] = .string(error) }
            if !key.haveKeys { problems.append("no signing keys for \(key.issuer): its tokens are refused" + (key.lastError.map { " (\($0))" } ?? "")) }
            issuers.append(.object(item))
        }
        if let error = policy.status.lastError { problems.append("the last policy reload was refused: \(error)") }

        return [
            ("enforcing", .bool(problems.isEmpty)), ("problems", .array(problems.map(JSONValue.string))),
            ("rules", rules), ("proxy", ["listening": .array(listening.map(JSONValue.string))]), ("guard", guardSection),
            ("store", .object(store)), ("issuers", .array(issuers)), ("lastHour", lastHour),
            ("metrics", metricsAddress.map(JSONValue.string) ?? .null),
            ("central", central?.statusSection() ?? .null), ("callers", AttributionStatus.section(attribution)),
        ]
    }
}
