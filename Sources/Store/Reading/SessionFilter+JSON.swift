import Kube

extension SessionFilter {
    /// The filter as a JSON object (for `tail` through the admin socket); empty fields are left out.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        func strings(_ key: String, _ values: [String]) { if !values.isEmpty { members[key] = .array(values.map(JSONValue.string)) } }
        strings("users", usernames)
        strings("groups", groups)
        strings("verbs", verbs)
        strings("resources", resources)
        strings("namespaces", namespaces)
        strings("outcomes", outcomes.map(\.rawValue).sorted())
        strings("clusters", clusters)
        strings("containers", containers)
        strings("units", units)
        if !uids.isEmpty { members["uids"] = .array(uids.map(JSONValue.int)) }
        if !claims.isEmpty { members["claims"] = .array(claims.map { .object(["name": .string($0.name), "value": .string($0.value)]) }) }
        if let since { members["since"] = .int(since) }
        if let until { members["until"] = .int(until) }
        return .object(members)
    }

    /// A filter from ``json``; throws ``SessionFilterError`` naming the first field that is not as expected.
    public init(json: JSONValue) throws(SessionFilterError) {
        guard let members = json.objectValue else { throw SessionFilterError("the filter is not a JSON object") }
        let known: Set<String> = ["users", "groups", "verbs", "resources", "namespaces", "outcomes", "clusters", "containers", "units",
                                  "uids", "claims", "since", "until"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) { throw SessionFilterError("unknown field \(unknown)") }
        func strings(_ key: String) throws(SessionFilterError) -> [String] {
            guard let value = members[key] else { return [] }
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw SessionFilterError("\(key) must be a list of strings")
            }
            return items.compactMap(\.stringValue)
        }
        func time(_ key: String) throws(SessionFilterError) -> Int64? {
            guard let value = members[key] else { return nil }
            guard let number = value.intValue else { throw SessionFilterError("\(key) must be microseconds since the epoch") }
            return number
        }
        var outcomes: Set<SessionOutcome> = []
        for text in try strings("outcomes") {
            guard let outcome = SessionOutcome(rawValue: text) else { throw SessionFilterError("unknown outcome \(text)") }
            outcomes.insert(outcome)
        }
        var uids: [Int64] = []
        for value in members["uids"]?.arrayValue ?? [] {
            guard let uid = value.intValue, uid >= 0 else { throw SessionFilterError("uids must be numbers") }
            uids.append(uid)
        }
        var claims: [Claim] = []
        for value in members["claims"]?.arrayValue ?? [] {
            guard let name = value["name"]?.stringValue, let claimValue = value["value"]?.stringValue else {
                throw SessionFilterError("claims must be objects with a name and a value")
            }
            claims.append(Claim(name: name, value: claimValue))
        }
        self.init(usernames: try strings("users"), groups: try strings("groups"), verbs: try strings("verbs"),
                  resources: try strings("resources"), namespaces: try strings("namespaces"), outcomes: outcomes,
                  clusters: try strings("clusters"), uids: uids, since: try time("since"), until: try time("until"),
                  containers: try strings("containers"), units: try strings("units"), claims: claims)
    }
}

/// Why a filter sent as JSON was refused.
public struct SessionFilterError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
