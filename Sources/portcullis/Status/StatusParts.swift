import Foundation
import Kube
import Proxy
import Store

/// The sections of `GET /v1/status` a gateway and a relay share: the store and the last hour's
/// outcomes, and the issuers' keys. Each problem found is appended to `problems`.
enum StatusParts {
    static func store(_ writer: StoreWriter, now: KubeTime, problems: inout [String]) -> (store: JSONValue, lastHour: JSONValue) {
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
        return (.object(store), lastHour)
    }

    static func issuers(_ authenticator: OIDCAuthenticator, now: KubeTime, problems: inout [String]) -> JSONValue {
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
        return .array(issuers)
    }
}
