import ArgumentParser
import Foundation
import Store

/// The filters `sessions` and `tail` share: who (identity, group, uid, container, unit, run
/// claim, and on a relay the gateway), what (verb, resource, namespace, cluster) and how it ended (outcome).
struct SessionFilterOptions: ParsableArguments {
    @Option(name: [.customLong("user"), .customLong("identity")], help: ArgumentHelp("Requests made as this username.", valueName: "name"))
    var users: [String] = []

    @Option(name: .customLong("group"), help: ArgumentHelp("Requests made by a member of this group.", valueName: "group"))
    var groups: [String] = []

    @Option(name: .customLong("verb"), help: ArgumentHelp("Requests with this verb (get, list, watch, create, delete, ...).", valueName: "verb"))
    var verbs: [String] = []

    @Option(name: .customLong("resource"), help: ArgumentHelp("Requests for this resource: pods, pod, pods/exec, deployments.apps.",
                                                               valueName: "resource"))
    var resources: [String] = []

    @Option(name: [.customShort("n"), .customLong("namespace")], help: ArgumentHelp("Requests in this namespace.", valueName: "namespace"))
    var namespaces: [String] = []

    @Option(name: .customLong("outcome"), help: ArgumentHelp("allowed, denied, rejected, refused, unanswered or bypass (comma-separated or repeated).",
                                                              valueName: "outcome"))
    var outcomes: [String] = []

    @Option(name: .customLong("cluster"), help: ArgumentHelp("Connections to this cluster.", valueName: "name"))
    var clusters: [String] = []

    @Option(name: .customLong("gateway"), help: ArgumentHelp("On a relay: connections from this gateway (its certificate's name).", valueName: "name"))
    var gateways: [String] = []

    @Option(name: .customLong("uid"), help: ArgumentHelp("Runs, connections and bypass attempts by this numeric uid.", valueName: "uid"))
    var uids: [String] = []

    @Option(name: .customLong("container"),
            help: ArgumentHelp("Callers in this container: an id or its prefix, optionally with the runtime (docker:4f3a2b).", valueName: "id"))
    var containers: [String] = []

    @Option(name: .customLong("unit"), help: ArgumentHelp("Callers in this systemd unit (actions-runner.service).", valueName: "unit"))
    var units: [String] = []

    @Option(name: .customLong("claim"), help: ArgumentHelp("Runs whose token's run claim has this value (repository=acme/app).", valueName: "name=value"))
    var claims: [String] = []

    /// The filter the options describe; exits 2 naming a bad value.
    func filter(time: SessionsTimeRange, now: Int64 = SessionsTimeRange.now()) throws -> SessionFilter {
        var outcomeSet: Set<SessionOutcome> = []
        for text in outcomes.flatMap({ $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }) {
            guard let outcome = SessionOutcome(rawValue: text) else {
                throw ReadingCommand.fail("--outcome: expected one of \(SessionOutcome.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            outcomeSet.insert(outcome)
        }
        let uidValues = try uids.map { text throws -> Int64 in
            guard let uid = Int64(text), uid >= 0, uid <= Int64(UInt32.max) else {
                throw ReadingCommand.fail("--uid: expected a numeric uid, got '\(text)'")
            }
            return uid
        }
        let (since, until) = try time.bounds(now: now)
        let claimValues = try claims.map { text throws -> SessionFilter.Claim in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw ReadingCommand.fail("--claim: expected name=value (repository=acme/app), got '\(text)'")
            }
            return SessionFilter.Claim(name: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
        }
        for container in containers where container.isEmpty || container.hasSuffix(":") {
            throw ReadingCommand.fail("--container: expected a container id or its prefix (docker:4f3a2b), got '\(container)'")
        }
        var filter = SessionFilter(usernames: users, groups: groups, verbs: verbs.map { $0.lowercased() }, resources: resources,
                                   namespaces: namespaces, outcomes: outcomeSet, clusters: clusters, uids: uidValues, since: since, until: until,
                                   containers: containers, units: units, claims: claimValues)
        filter.gateways = gateways
        return filter
    }
}
