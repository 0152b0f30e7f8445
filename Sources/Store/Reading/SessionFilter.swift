/// Which sessions `sessions` lists. Values within one field are alternatives (OR); fields combine
/// with AND. Request fields (users, groups, verbs, resources, namespaces, request outcomes) must all
/// hold for one and the same request of a connection, and that request must fall in the time range.
///
/// - A connection matches when one of its requests does; without request fields, when it opened in
///   the time range or one of its requests was received in it.
/// - A refused connection matches only without request fields, when the outcomes are empty or hold
///   `rejected` or `refused`, and when it opened in the time range.
/// - A guard event matches only without request fields, cluster and gateway, when the outcomes are empty or
///   hold `bypass`, and when it happened in the time range.
public struct SessionFilter: Sendable, Hashable {
    public var usernames: [String]
    public var groups: [String]
    public var verbs: [String]
    /// `pods`, `pod`, `pods/exec`, `deployments.apps`.
    public var resources: [String]
    public var namespaces: [String]
    public var outcomes: Set<SessionOutcome>
    public var clusters: [String]
    public var uids: [Int64]
    /// On a relay's record: connections from these gateways (their certificates' names).
    public var gateways: [String] = []
    /// Microseconds since the epoch, inclusive.
    public var since: Int64?
    /// Microseconds since the epoch, inclusive.
    public var until: Int64?

    public init(usernames: [String] = [], groups: [String] = [], verbs: [String] = [], resources: [String] = [],
                namespaces: [String] = [], outcomes: Set<SessionOutcome> = [], clusters: [String] = [], uids: [Int64] = [],
                since: Int64? = nil, until: Int64? = nil) {
        self.usernames = usernames
        self.groups = groups
        self.verbs = verbs
        self.resources = resources
        self.namespaces = namespaces
        self.outcomes = outcomes
        self.clusters = clusters
        self.uids = uids
        self.since = since
        self.until = until
    }

    /// Outcomes that select requests.
    var requestOutcomes: [RequestOutcome] {
        outcomes.compactMap(\.requestOutcome).sorted()
    }

    /// Whether any field selects requests, so that only connections with a matching request match.
    /// (With outcomes given, connections are listed only for request outcomes among them.)
    var hasRequestFields: Bool {
        !usernames.isEmpty || !groups.isEmpty || !verbs.isEmpty || !resources.isEmpty || !namespaces.isEmpty || !outcomes.isEmpty
    }

    func includesConnections() -> Bool {
        outcomes.isEmpty || !requestOutcomes.isEmpty
    }

    func includesRefusedConnections() -> Bool {
        guard usernames.isEmpty, groups.isEmpty, verbs.isEmpty, resources.isEmpty, namespaces.isEmpty else { return false }
        return outcomes.isEmpty || outcomes.contains(.rejected) || outcomes.contains(.refused)
    }

    func includesGuardEvents() -> Bool {
        guard usernames.isEmpty, groups.isEmpty, verbs.isEmpty, resources.isEmpty, namespaces.isEmpty, clusters.isEmpty, gateways.isEmpty else {
            return false
        }
        return outcomes.isEmpty || outcomes.contains(.bypass)
    }
}
