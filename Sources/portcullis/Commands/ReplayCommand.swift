import ArgumentParser
import Central
import Foundation
import Store

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded session or request: requests and responses in order, exec and attach in real time.",
        discussion: """
            Lines starting with ->, <-, -- and == tell the requests and responses on standard output. An exec or attach \
            is played back as recorded: its stdout to standard output and its stderr to standard error, byte for byte, \
            waiting between writes as long as the command did (or --speed times less), then its exit code. \
            Watch events and log lines are told as they came. --asciicast writes the exec and attach streams as an \
            asciicast v2 file as well (add --speed 0 to write it without waiting). With --central, replay from the \
            central store: HOST/c<N> (or --host HOST c<N>), also after the host itself is gone.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Argument(help: ArgumentHelp("c<N> for a session, r<N> for one request, g<N> for a bypass attempt.", valueName: "id"))
    var id: String

    @Option(name: .customLong("speed"), help: ArgumentHelp("Play N times faster than recorded; 0 plays without delays.", valueName: "N"))
    var speed = "1"

    @Option(name: .customLong("idle-limit"), help: ArgumentHelp("Never wait longer than this many seconds between writes.", valueName: "seconds"))
    var idleLimit: String?

    @Option(name: .customLong("asciicast"), help: ArgumentHelp("Also write the exec and attach streams to FILE as asciicast v2.", valueName: "file"))
    var asciicast: String?

    @Flag(name: .customLong("bodies"), help: "Print request and response bodies (already redacted in the store).")
    var bodies = false

    @Flag(name: .customLong("output-only"), help: "Write only the streams' bytes: no request and response lines.")
    var outputOnly = false

    func options() throws -> ReplayOptions {
        guard let speed = Double(speed), speed.isFinite, speed >= 0 else {
            throw ReadingCommand.fail("--speed: expected a number of times faster, 0 or more (0 plays without delays), got '\(self.speed)'")
        }
        var limit: Double?
        if let idleLimit {
            guard let value = Double(idleLimit), value.isFinite, value >= 0 else {
                throw ReadingCommand.fail("--idle-limit: expected a number of seconds, got '\(idleLimit)'")
            }
            limit = value
        }
        return ReplayOptions(speed: speed, idleLimit: limit, narrate: !outputOnly, bodies: bodies)
    }

    func run() async throws {
        let options = try options()
        try CentralReading.checkHostNeedsCentral(location)
        guard location.central else { return try await replay(try ReadingCommand.reference(id), from: try location.open(), options) }
        let (host, reference) = try CentralReading.reference(id, host: location.host)
        try await CentralReading.with(location) { central in
            let scratch = try await central.open(host: host, CentralReading.selection(reference))
            defer { scratch.remove() }
            try await replay(reference, from: scratch.reader, options)
        }
    }

    private func replay(_ reference: RecordReference, from reader: StoreReader, _ options: ReplayOptions) async throws {
        let terminal = ReplayTerminal()
        var cast: AsciicastRecording? = asciicast == nil ? nil : AsciicastRecording(idleTimeLimit: options.idleLimit)
        let result: ReplayResult?
        do {
            result = try await ReplayPlayer(reader: reader, options: options).play(reference, to: terminal, asciicast: &cast)
        } catch {
            Console.error("cannot read the store \(reader.path): \(error)")
            throw PortcullisExit.storeUnavailable
        }
        guard let result else { throw ReadingCommand.notFound(reference, in: reader) }
        if let path = asciicast, var cast {
            guard result.terminalSessions > 0 else {
                throw ReadingCommand.fail("\(reference) has no exec or attach stream: no asciicast written to \(path)")
            }
            try Self.write(cast.finish(), to: path)
        }
    }

    /// Writes the lines to `path`, mode 0600: the streams may hold what the recording protects.
    static func write(_ lines: [String], to path: String) throws {
        let data = Data(lines.map { $0 + "\n" }.joined().utf8)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            Console.error("cannot write the asciicast to \(path): \(String(cString: strerror(errno)))")
            throw PortcullisExit.storeUnavailable
        }
    }
}

/// The terminal a replay plays to: narrative and stdout on standard output, stderr on standard
/// error, written at once (no buffering) so that timing shows. Narrative always starts on a
/// fresh line.
final class ReplayTerminal: ReplayOutput {
    private var atLineStart = true

    func narrate(_ line: String) {
        let text = (atLineStart ? "" : "\n") + line + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        atLineStart = true
    }

    func write(_ bytes: [UInt8], to stream: ReplayStream) {
        guard !bytes.isEmpty else { return }
        switch stream {
        case .stdout:
            FileHandle.standardOutput.write(Data(bytes))
            atLineStart = bytes.last == UInt8(ascii: "\n")
        case .stderr:
            FileHandle.standardError.write(Data(bytes))
        }
    }
}
