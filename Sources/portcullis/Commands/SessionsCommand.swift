import ArgumentParser
import Central
import Foundation
import Store

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions: connections with their requests, refused connections and bypass attempts.",
        discussion: """
            A session is one connection and the requests it carried (c<N>); a refused connection is one too. Bypass \
            attempts the guard dropped are listed as g<N>. Values of one filter are alternatives; different filters \
            must all hold, for one and the same request of a session. --outcome takes allowed (forwarded and \
            answered), denied (refused by policy), rejected (refused by the gateway itself, including refused \
            connections), refused (refused connections only), unanswered (no response recorded) and bypass. \
            With --central, every host's sessions from the central store, with a HOST column (--host NAME for one). \
            See docs/store.md and docs/central.md.
            """)

    @OptionGroup var location: StoreLocationOptions

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

    @Option(name: .customLong("uid"), help: ArgumentHelp("Connections and bypass attempts by this numeric uid.", valueName: "uid"))
    var uids: [String] = []

    @OptionGroup var time: SessionsTimeRange

    @Option(name: .customLong("limit"), help: ArgumentHelp("Only the most recent N sessions.", valueName: "N"))
    var limit: String?

    @Flag(name: .customLong("json"), help: "One JSON object per line instead of a table.")
    var json = false

    /// The filter the options describe; exits 2 naming a bad value.
    func filter(now: Int64 = SessionsTimeRange.now()) throws -> SessionFilter {
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
        var filter = SessionFilter(usernames: users, groups: groups, verbs: verbs.map { $0.lowercased() }, resources: resources,
                                   namespaces: namespaces, outcomes: outcomeSet, clusters: clusters, uids: uidValues, since: since, until: until)
        filter.gateways = gateways
        return filter
    }

    func parsedLimit() throws -> Int? {
        guard let limit else { return nil }
        guard let n = Int(limit), n > 0 else { throw ReadingCommand.fail("--limit: expected a positive number, got '\(limit)'") }
        return n
    }

    func run() async throws {
        let filter = try filter()
        let limit = try parsedLimit()
        try CentralReading.checkHostNeedsCentral(location)
        if location.central { return print(try await centralSessions(filter, limit: limit)) }
        let reader = try location.open()
        let sessions = try ReadingCommand.query(reader) { try reader.sessions(matching: filter, limit: limit) }
        print(sessions, from: reader.path)
    }

    /// Every host's sessions (or `--host`'s), merged by time, each naming its host.
    private func centralSessions(_ filter: SessionFilter, limit: Int?) async throws -> ([SessionSummary], String) {
        let host = location.host
        return try await CentralReading.with(location) { central in
            var all: [SessionSummary] = []
            for entry in try await CentralReading.hosts(central, named: host) {
                let scratch = try await central.open(host: entry.name, .sessions)
                defer { scratch.remove() }
                let found = try ReadingCommand.query(scratch.reader) { try scratch.reader.sessions(matching: filter, limit: limit) }
                all += found.map { session in
                    var session = session
                    session.host = entry.name
                    return session
                }
            }
            all.sort { ($0.time, $0.host ?? "", $0.seq) < ($1.time, $1.host ?? "", $1.seq) }
            if let limit, all.count > limit { all.removeFirst(all.count - limit) }
            return (all, central.store)
        }
    }

    private func print(_ found: ([SessionSummary], String)) {
        print(found.0, from: found.1)
    }

    private func print(_ sessions: [SessionSummary], from source: String) {
        let out = StandardOutput()
        defer { out.flush() }
        if json {
            for session in sessions { out.line(SessionsText.jsonLine(session)) }
        } else if sessions.isEmpty {
            Console.info("no sessions match in \(source)")
        } else {
            out.write(SessionsText.table(sessions))
        }
    }
}
