import ArgumentParser
import Central
import Foundation
import Kube
import Store

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the recording as audit.k8s.io/v1 Event JSON lines, as kube-apiserver writes its audit log.",
        discussion: """
            One ResponseComplete Event per request (and a ResponseStarted Event before it for watch, exec, attach, logs \
            and other long-running requests); a request without a recorded response gets a RequestReceived Event. \
            user is the gateway (--gateway-user) and impersonatedUser the verified identity, as kube-apiserver \
            records an impersonating proxy. Requests the gateway refused itself are included and annotated \
            portcullis.io/rejected; --forwarded-only leaves them out. Events are in the order requests were recorded. \
            With --central, every host's requests from the central store (--host NAME for one), host by host, each \
            Event annotated portcullis.io/host.
            """)

    @OptionGroup var location: StoreLocationOptions

    @Option(name: .customLong("format"), help: ArgumentHelp("The output format: audit.", valueName: "format"))
    var format = "audit"

    @Option(name: .customLong("level"), help: ArgumentHelp("Metadata, Request (adds requestObject) or RequestResponse (adds responseObject).",
                                                            valueName: "level"))
    var level = "Metadata"

    @OptionGroup var time: SessionsTimeRange

    @Option(name: .customLong("gateway-user"), help: ArgumentHelp("The username the gateway has at the API server.", valueName: "name"))
    var gatewayUser = AuditExporter.defaultGatewayUsername

    @Flag(name: .customLong("forwarded-only"), help: "Leave out requests the gateway refused itself (rejected or denied).")
    var forwardedOnly = false

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write to FILE instead of standard output.", valueName: "file"))
    var output: String?

    func exporter() throws -> AuditExporter {
        guard format == "audit" else { throw ReadingCommand.fail("--format: expected audit, got '\(format)'") }
        let levels: [AuditEvent.Level] = [.metadata, .request, .requestResponse]
        guard let chosen = levels.first(where: { $0.rawValue.lowercased() == level.lowercased() }) else {
            throw ReadingCommand.fail("--level: expected one of \(levels.map(\.rawValue).joined(separator: ", ")), got '\(level)'")
        }
        guard !gatewayUser.isEmpty else { throw ReadingCommand.fail("--gateway-user: the name is empty") }
        return AuditExporter(level: chosen, gatewayUser: AuditExporter.gatewayUser(gatewayUser))
    }

    func run() async throws {
        let exporter = try exporter()
        let (since, until) = try time.bounds()
        try CentralReading.checkHostNeedsCentral(location)
        guard location.central else {
            let out = StandardOutput(handle: try outputHandle())
            defer { out.flush() }
            return try export(from: try location.open(), exporter, since: since, until: until, to: out)
        }
        let out = StandardOutput(handle: try outputHandle())
        defer { out.flush() }
        let host = location.host
        let needsBodies = exporter.needsBodies
        try await CentralReading.with(location) { central in
            for entry in try await CentralReading.hosts(central, named: host) {
                let scratch = try await central.open(host: entry.name, .requests(since: since, until: until, bodies: needsBodies))
                defer { scratch.remove() }
                var forHost = exporter
                forHost.host = entry.name
                try export(from: scratch.reader, forHost, since: since, until: until, to: out)
            }
        }
    }

    private func export(from reader: StoreReader, _ exporter: AuditExporter, since: Int64?, until: Int64?, to out: StandardOutput) throws {
        var after: Int64 = 0
        while true {
            let page = try ReadingCommand.query(reader) {
                try reader.requests(afterSeq: after, limit: 500, since: since, until: until, bodies: exporter.needsBodies)
            }
            guard let last = page.last else { break }
            after = last.seq
            for request in page where !(forwardedOnly && [.rejected, .denied].contains(request.outcome)) {
                for event in exporter.events(for: request) { out.write(event.jsonBytes() + [UInt8(ascii: "\n")]) }
            }
        }
    }

    private func outputHandle() throws -> FileHandle {
        guard let output else { return .standardOutput }
        guard FileManager.default.createFile(atPath: output, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: output) else {
            Console.error("cannot write the export to \(output): \(String(cString: strerror(errno)))")
            throw PortcullisExit.storeUnavailable
        }
        return handle
    }
}
