import ArgumentParser
import Central
import Store

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one recorded run, session, request or bypass attempt.",
        discussion: """
            run<N> gives an agent's run: its caller, identity, run claims, clients (kubectl's version), a one-line \
            count of what it changed, then its commands across its connections, the requests of one kubectl \
            invocation (discovery, then the call) folded into one line such as "kubectl delete pod web-1 -n demo" \
            (--requests lists them under it). --changes lists what the run created, updated, patched and deleted, \
            each with the object, the fields changed against its last recorded state, or its last state; denied and \
            failed changes apart. c<N> (or N) gives a session's timeline: the connection, then each request as its kubectl-like intent with \
            status, latency, outcome, decision and user, and a summary of its stream. r<N> gives one request in full \
            with every event of its stream (exec and attach channels, watch events, log lines). g<N> gives a bypass \
            attempt. IDs are listed by portcullis sessions. With --central, read the central store: HOST/c<N> (or \
            --host HOST c<N>).
            """)

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: ArgumentHelp("run<N> for a run, c<N> for a session, r<N> for a request, g<N> for a bypass attempt.", valueName: "id"))
    var id: String

    @Flag(name: .customLong("requests"), help: "With a run: each command's requests under it.")
    var requests = false

    @Flag(name: .customLong("changes"), help: "With a run: what it changed (created, updated, patched, deleted), and what it could not.")
    var changes = false

    @Flag(name: .customLong("bodies"), help: "Add headers and bodies (already redacted in the store), and stream data in full.")
    var bodies = false

    @Flag(name: .customLong("json"), help: "One JSON object instead of text.")
    var json = false

    func run() async throws {
        try CentralReading.checkHostNeedsCentral(location)
        if requests || changes, let reference = RecordReference(CentralReading.localPart(id)), !Self.isRun(reference) {
            throw ReadingCommand.fail("--requests and --changes are for a run (run<N>), not \(reference)")
        }
        guard location.central else { return try show(try ReadingCommand.reference(id), from: try location.open()) }
        let (host, reference) = try CentralReading.reference(id, host: location.host)
        try await CentralReading.with(location) { central in
            let scratch = try await central.open(host: host, CentralReading.selection(reference))
            defer { scratch.remove() }
            try show(reference, from: scratch.reader, header: json ? nil : "host: \(host)")
        }
    }

    private func show(_ reference: RecordReference, from reader: StoreReader, header: String? = nil) throws {
        let out = StandardOutput()
        if let header { out.line(header) }
        defer { out.flush() }
        switch reference {
        case .run(let id):
            try showRun(id, reference: reference, from: reader, out: out)
        case .connection(let id):
            guard let timeline = try ReadingCommand.query(reader, { try reader.timeline(connection: id, bodies: bodies) }) else {
                throw ReadingCommand.notFound(reference, in: reader)
            }
            out.write(json ? String(decoding: ReadingJSON.timeline(timeline, bodies: bodies), as: UTF8.self) + "\n"
                : TimelineText.session(timeline, bodies: bodies))
        case .request(let id):
            guard let request = try ReadingCommand.query(reader, { try reader.request(id: id, bodies: bodies) }) else {
                throw ReadingCommand.notFound(reference, in: reader)
            }
            let events = try ReadingCommand.query(reader) { try reader.streamEvents(request: id) }
            if json {
                out.line(String(decoding: ReadingJSON.request(request, bodies: bodies, events: events), as: UTF8.self))
            } else {
                let connection = try ReadingCommand.query(reader) { try reader.connection(id: request.connectionID) }
                out.write(TimelineText.request(request, connection: connection, events: events, bodies: bodies))
            }
        case .guardEvent(let seq):
            guard let event = try ReadingCommand.query(reader, { try reader.guardEvent(seq: seq) }) else {
                throw ReadingCommand.notFound(reference, in: reader)
            }
            out.write(json ? String(decoding: ReadingJSON.guardEvent(event), as: UTF8.self) + "\n" : TimelineText.guardEvent(event))
        }
    }

    private func showRun(_ id: Int64, reference: RecordReference, from reader: StoreReader, out: StandardOutput) throws {
        let found = try ReadingCommand.query(reader) { () throws -> RunChanges? in try reader.changes(run: id) }
        guard let runChanges = found else { throw ReadingCommand.notFound(reference, in: reader) }
        if changes {
            out.write(json ? String(decoding: ChangesText.json(runChanges), as: UTF8.self) + "\n" : ChangesText.text(runChanges))
            return
        }
        guard let timeline = try ReadingCommand.query(reader, { try reader.runTimeline(id: id, bodies: bodies) }) else {
            throw ReadingCommand.notFound(reference, in: reader)
        }
        out.write(json ? String(decoding: RunText.json(timeline, changes: runChanges, bodies: bodies), as: UTF8.self) + "\n"
            : RunText.run(timeline, changes: runChanges, requests: requests || bodies, bodies: bodies))
    }

    static func isRun(_ reference: RecordReference) -> Bool {
        if case .run = reference { return true }
        return false
    }
}
