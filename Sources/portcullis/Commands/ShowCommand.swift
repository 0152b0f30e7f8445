import ArgumentParser
import Central
import Store

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one recorded session, request or bypass attempt.",
        discussion: """
            c<N> (or N) gives a session's timeline: the connection, then each request as its kubectl-like intent with \
            status, latency, outcome, decision and user, and a summary of its stream. r<N> gives one request in full \
            with every event of its stream (exec and attach channels, watch events, log lines). g<N> gives a bypass \
            attempt. IDs are listed by portcullis sessions. With --central, read the central store: HOST/c<N> (or \
            --host HOST c<N>).
            """)

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: ArgumentHelp("c<N> for a session, r<N> for a request, g<N> for a bypass attempt.", valueName: "id"))
    var id: String

    @Flag(name: .customLong("bodies"), help: "Add headers and bodies (already redacted in the store), and stream data in full.")
    var bodies = false

    @Flag(name: .customLong("json"), help: "One JSON object instead of text.")
    var json = false

    func run() async throws {
        try CentralReading.checkHostNeedsCentral(location)
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
}
