import ArgumentParser
import Central
import Foundation
import Store

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List agents' runs, with what belongs to no run: refused connections, bypass attempts, unauthenticated connections.",
        discussion: """
            A run (run<N>) is one agent's stretch of work: the connections from one host, uid and cgroup, under one \
            verified identity and one token, until it was idle for store.runIdle. Each line gives its start, duration, \
            caller (container or systemd unit, and uid), user, run claims and requests by outcome. Connections that \
            carried no authenticated request (a failed TLS handshake, a missing or bad token) are listed as c<N>, \
            refused connections as c-<N>, bypass attempts the guard dropped as g<N>. --connections lists every \
            connection (c<N>) with its requests instead. Values of one filter are alternatives; different filters \
            must all hold, for one and the same request. --outcome takes allowed (forwarded and answered), denied \
            (refused by policy), rejected (refused by the gateway itself, including refused connections), refused \
            (refused connections only), unanswered (no response recorded) and bypass. With --central, every host's \
            runs from the central store, with a HOST column (--host NAME for one). See docs/store.md and docs/central.md.
            """)

    @OptionGroup var location: StoreLocationOptions

    @OptionGroup var filters: SessionFilterOptions

    @Flag(name: .customLong("connections"), help: "List connections (c<N>) with their requests instead of runs.")
    var connections = false

    @OptionGroup var time: SessionsTimeRange

    @Option(name: .customLong("limit"), help: ArgumentHelp("Only the most recent N sessions.", valueName: "N"))
    var limit: String?

    @Flag(name: .customLong("json"), help: "One JSON object per line instead of a table.")
    var json = false

    /// The filter the options describe; exits 2 naming a bad value.
    func filter(now: Int64 = SessionsTimeRange.now()) throws -> SessionFilter {
        try filters.filter(time: time, now: now)
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
        if location.central {
            let (entries, store) = try await centralEntries(filter, limit: limit)
            return print(entries, from: store)
        }
        let reader = try location.open()
        let entries = try ReadingCommand.query(reader) { try Self.entries(reader, filter, limit: limit, connections: connections) }
        print(entries, from: reader.path)
    }

    /// What one store lists: its runs (and what belongs to no run), or with `connections` every session.
    static func entries(_ reader: StoreReader, _ filter: SessionFilter, limit: Int?, connections: Bool) throws -> [SessionEntry] {
        if connections { return try reader.sessions(matching: filter, limit: limit).map(SessionEntry.session) }
        return try reader.overview(matching: filter, limit: limit)
    }

    /// Every host's runs or sessions (or `--host`'s), merged by time, each naming its host.
    private func centralEntries(_ filter: SessionFilter, limit: Int?) async throws -> ([SessionEntry], String) {
        let host = location.host, connections = self.connections
        return try await CentralReading.with(location) { central in
            var all: [SessionEntry] = []
            for entry in try await CentralReading.hosts(central, named: host) {
                let scratch = try await central.open(host: entry.name, .sessions)
                defer { scratch.remove() }
                let found = try ReadingCommand.query(scratch.reader) {
                    try Self.entries(scratch.reader, filter, limit: limit, connections: connections)
                }
                all += found.map { found in
                    var found = found
                    found.host = entry.name
                    return found
                }
            }
            all.sort { ($0.time, $0.host ?? "", $0.seq) < ($1.time, $1.host ?? "", $1.seq) }
            if let limit, all.count > limit { all.removeFirst(all.count - limit) }
            return (all, central.store)
        }
    }

    private func print(_ entries: [SessionEntry], from source: String) {
        let out = StandardOutput()
        defer { out.flush() }
        if json {
            for entry in entries { out.line(RunsText.jsonLine(entry)) }
        } else if entries.isEmpty {
            Console.info("no \(connections ? "sessions" : "runs or sessions") match in \(source)")
        } else if connections {
            out.write(SessionsText.table(entries.compactMap { entry -> SessionSummary? in
                if case .session(let s) = entry { return s }
                return nil
            }))
        } else {
            out.write(RunsText.table(entries))
        }
    }
}
