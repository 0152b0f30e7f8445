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
/// - Caller fields (uids, containers, units) hold for a run's, a connection's or a guard event's
///   caller; claims only for runs (and the connections that carried a run's requests).
public struct SessionFilter: Sendable, Hashable {
    /// A run claim that must have this value (`--claim repository=acme/app`).
    public struct Claim: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var usernames: [String]
    public var groups: [String]
    public var verbs: [String]
    /// `pods`, `pod`, `pods/exec`, `deployments.apps`.
    public var resources: [String]
    public var namespaces: [String]
    public var outcomes: Set<SessionOutcome>
    public var clusters: [String]
    public var uids: [Int64]
    /// Container ids or prefixes of them, optionally with the runtime: `4f3a2b`, `docker:4f3a2b`.
    public var containers: [String]
    /// systemd units: `actions-runner.service`.
    public var units: [String]
    /// Run claims; each must hold.
    public var claims: [Claim]
    /// On a relay's record: connections from these gateways (their certificates' names).
    public var gateways: [String] = []
    /// Microseconds since the epoch, inclusive.
    public var since: Int64?
    /// Microseconds since the epoch, inclusive.
    public var until: Int64?

    public init(usernames: [String] = [], groups: [String] = [], verbs: [String] = [], resources: [String] = [],
                namespaces: [String] = [], outcomes: Set<SessionOutcome> = [], clusters: [String] = [], uids: [Int64] = [],
                since: Int64? = nil, until: Int64? = nil, containers: [String] = [], units: [String] = [], claims: [Claim] = []) {
        self.usernames = usernames
        self.groups = groups
        self.verbs = verbs
        self.resources = resources
        self.namespaces = namespaces
        self.outcomes = outcomes
        self.clusters = clusters
        self.uids = uids
        self.containers = containers
        self.units = units
        self.claims = claims
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
        guard usernames.isEmpty, groups.isEmpty, verbs.isEmpty, resources.isEmpty, namespaces.isEmpty, claims.isEmpty else { return false }
        return outcomes.isEmpty || outcomes.contains(.rejected) || outcomes.contains(.refused)
    }

    func includesGuardEvents() -> Bool {
        guard usernames.isEmpty, groups.isEmpty, verbs.isEmpty, resources.isEmpty, namespaces.isEmpty, clusters.isEmpty, units.isEmpty,
              claims.isEmpty, gateways.isEmpty else {
            return false
        }
        return outcomes.isEmpty || outcomes.contains(.bypass)
    }
}
