import ArgumentParser
import Foundation
import Kube
import NIOHTTP1
import Store

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print each decision as the gateway records it: time, run, caller, user, intent, decision and status.",
        discussion: """
            Follows the running gateway through its admin socket (root and the admin group may use it), from now or \\
            from --since, until interrupted. A request is printed once its outcome is committed; a watch, exec or \\
            followed log, and a request held for review, when it starts; a review when it is decided; refused \\
            connections and bypass attempts as they happen. It reads committed rows, so it never holds the \\
            gateway's writer back. Takes the filters of portcullis sessions. With --store it follows a recording \\
            file directly instead (its owner or root). See docs/store.md.
            """)

    @Option(name: .customLong("config"), help: ArgumentHelp("The gateway configuration file (its admin socket).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("socket"), help: ArgumentHelp("The admin socket.", valueName: "path"))
    var socket: String?

    @Option(name: .customLong("store"), help: ArgumentHelp("Follow this recording (SQLite file) directly instead of the gateway.",
                                                            valueName: "path"))
    var store: String?

    @OptionGroup var filters: SessionFilterOptions

    @OptionGroup var time: SessionsTimeRange

    @Flag(name: .customLong("json"), help: "One JSON object per line instead of text.")
    var json = false

    /// How long to wait for new rows when the record has none.
    static let pollInterval = Duration.milliseconds(100)

    func validate() throws {
        if time.until != nil { throw ValidationError("--until: tail follows the record as it grows; use portcullis sessions for a time range") }
        if store != nil, config != nil || socket != nil { throw ValidationError("--store reads a file; --config and --socket follow the gateway: give one") }
    }

    func run() async throws {
        let filter = try filters.filter(time: time)
        if let store { return try await follow(store: store, filter) }
        let admin = try AdminOptions.parse((config.map { ["--config", $0] } ?? []) + (socket.map { ["--socket", $0] } ?? []))
        let client = try admin.client()
        let request = JSONValue.object(["filter": filter.json, "format": .string(json ? "json" : "text")])
        do {
            try await client.stream(.POST, "/v1/tail", body: request) { chunk in
                FileHandle.standardOutput.write(Data(chunk))
            }
        } catch {
            Console.error(error.description)
            switch error {
            case .unreachable: throw PortcullisExit.system
            case .refused(let status, _) where status == 403: throw PortcullisExit.notPermitted
            case .refused(let status, _) where status >= 500: throw PortcullisExit.storeUnavailable
            case .refused: throw PortcullisExit.badArgument
            }
        }
    }

    private func follow(store path: String, _ filter: SessionFilter) async throws {
        let reader: StoreReader
        do {
            reader = try StoreReader.open(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.storeUnavailable
        }
        let tail = try ReadingCommand.query(reader) { try StoreTail(reader: reader, filter: filter, since: filter.since) }
        while true {
            let entries = try ReadingCommand.query(reader) { try tail.next() }
            if entries.isEmpty {
                try await Task.sleep(for: Self.pollInterval)
                continue
            }
            let out = StandardOutput()
            for entry in entries { out.line(json ? TailText.json(entry) : TailText.line(entry)) }
            out.flush()
        }
    }
}
