import Foundation
import Kube
import Proxy
import Store

/// What `GET /v1/status` says about a running relay: whether it serves (listening, store writable,
/// issuers' keys loaded, registry readable), the gateways enrolled and connected, the store, the
/// issuers, the last hour and the central store. A relay has no rules and no guard: those live on
/// the gateways.
struct RelayStatusReport: Sendable {
    var listener: RelayListener
    var roster: GatewayRoster
    var registryPath: String
    var writer: StoreWriter
    var authenticator: OIDCAuthenticator
    var policy: AccessPolicy
    var metricsAddress: String?
    var central: CentralRuntime?

    func sections() -> [(String, JSONValue)] {
        var problems: [String] = []
        let now = StoreClock.now()
        let listening = listener.boundAddresses.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
        if listening.isEmpty { problems.append("the relay is not listening") }
        var registry: [String: JSONValue] = ["file": .string(registryPath)]
        do {
            _ = try GatewayRegistry.load(path: registryPath)
        } catch {
            problems.append("the gateway registry cannot be read: \(error)")
            registry["error"] = .string("\(error)")
        }
        let counts = roster.counts
        registry["enrolled"] = .int(Int64(counts.enrolled))
        registry["connections"] = .int(Int64(counts.connections))
        let (store, lastHour) = StatusParts.store(writer, now: now, problems: &problems)
        let issuers = StatusParts.issuers(authenticator, now: now, problems: &problems)
        if let error = policy.status.lastError { problems.append("the last policy reload was refused: \(error)") }
        return [
            ("enforcing", .bool(problems.isEmpty)), ("problems", .array(problems.map(JSONValue.string))),
            ("proxy", ["listening": .array(listening.map(JSONValue.string))]), ("relay", .object(registry)),
            ("store", store), ("issuers", issuers), ("lastHour", lastHour),
            ("metrics", metricsAddress.map(JSONValue.string) ?? .null),
            ("central", central?.statusSection() ?? .null),
        ]
    }
}
