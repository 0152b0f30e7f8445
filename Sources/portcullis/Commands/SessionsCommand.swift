import ArgumentParser
import Foundation
import Store

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions: connections with their requests, refused connections and bypass attempts.",
        discussion: """
            A session is one connection and the requests it carried (c<N>); a refused connection is one too. Bypass \
            attempts the guard dropped are listed as g<N>. Values of one filter are alternatives; different filters \
            must all hold, for one and the same request of a session. --outcome takes allowed (forwarded and \
            answered), denied (refused by policy), rejected (refused by the gateway itself, including refused \
            connections), refused (refused connections only), unanswered (no response recorded) and bypass. \
            See docs/store.md.
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
        return SessionFilter(usernames: users, groups: groups, verbs: verbs.map { $0.lowercased() }, resources: resources,
                             namespaces: namespaces, outcomes: outcomeSet, clusters: clusters, uids: uidValues, since: since, until: until)
    }

    func parsedLimit() throws -> Int? {
        guard let limit else { return nil }
        guard let n = Int(limit), n > 0 else { throw ReadingCommand.fail("--limit: expected a positive number, got '\(limit)'") }
        return n
    }

    func run() throws {
        let filter = try filter()
        let limit = try parsedLimit()
        let reader = try location.open()
        let sessions = try ReadingCommand.query(reader) { try reader.sessions(matching: filter, limit: limit) }
        let out = StandardOutput()
        defer { out.flush() }
        if json {
            for session in sessions { out.line(SessionsText.jsonLine(session)) }
        } else if sessions.isEmpty {
            Console.info("no sessions match in \(reader.path)")
        } else {
            out.write(SessionsText.table(sessions))
        }
    }
}
