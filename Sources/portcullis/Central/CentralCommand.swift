import ArgumentParser
import Central
import Foundation
import Kube
import Store

struct CentralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "central",
        abstract: "The central PostgreSQL store: create its schema, print its roles, list the hosts that ship to it.",
        discussion: "See docs/central.md.",
        subcommands: [CentralMigrateCommand.self, CentralRolesCommand.self, CentralHostsCommand.self])
}

/// `--config FILE` naming the `central:` section (a gateway configuration, or a file with only `central:`).
struct CentralConfigOption: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("A file with a central: section (a gateway configuration will do).",
                                                             valueName: "file"))
    var path: String

    func load() throws -> CentralConfiguration {
        do {
            return try CentralSection.load(path: path)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }
}

struct CentralMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the central store's schema. Running it again changes nothing.",
        discussion: """
            Run it with the credentials of the role that is to own the tables (not a gateway's or a reviewer's). It \
            creates the group roles portcullis_gateway and portcullis_reviewer when they are missing, which needs \
            CREATEROLE; otherwise create them first with the SQL portcullis central roles prints.
            """)

    @OptionGroup var config: CentralConfigOption

    func run() async throws {
        let configuration = try config.load()
        let store = configuration.endpointDescription
        let applied = try await CentralSession.with(configuration) { client in
            try await CentralMigrator.migrate(client, store: store, logger: CentralSession.logger)
        }
        if applied.isEmpty {
            print("the central store \(store) is up to date (schema version \(CentralSchema.currentVersion))")
        } else {
            for migration in applied { print("applied migration \(migration.version): \(migration.name)") }
            print("the central store \(store) is at schema version \(CentralSchema.currentVersion)")
        }
    }
}

struct CentralRolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "Print the SQL that creates the gateway and reviewer roles, for an operator to run as a superuser.",
        discussion: """
            --gateway runner-01 makes a login role that may write only host runner-01's rows (one role per host: \
            the strongest choice). --gateway ci-runners=ci-% makes one role for every host whose name matches the \
            SQL LIKE pattern (for ephemeral runners; see docs/central.md for what it does not protect). --reviewer \
            alice makes a reviewer. Passwords are never printed: set them with \\password in psql.
            """)

    @Option(name: .customLong("gateway"), help: ArgumentHelp("A gateway login role, ROLE or ROLE=HOST-PATTERN (repeatable).", valueName: "role"))
    var gateways: [String] = []

    @Option(name: .customLong("reviewer"), help: ArgumentHelp("A reviewer login role (repeatable).", valueName: "role"))
    var reviewers: [String] = []

    @Option(name: .customLong("database"), help: ArgumentHelp("The database, for the comment.", valueName: "name"))
    var database = "portcullis"

    func run() throws {
        var parsed: [CentralRoles.Gateway] = []
        for text in gateways {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            let role = parts[0], pattern = parts.count > 1 ? parts[1] : parts[0]
            try Self.check(role, what: "--gateway role", extra: "")
            try Self.check(pattern, what: "--gateway host pattern", extra: "%")
            parsed.append(CentralRoles.Gateway(role: role, hostPattern: pattern))
        }
        for reviewer in reviewers { try Self.check(reviewer, what: "--reviewer role", extra: "") }
        print(CentralRoles.sql(gateways: parsed, reviewers: reviewers, database: database), terminator: "")
    }

    static func check(_ name: String, what: String, extra: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_." + extra))
        guard !name.isEmpty, name.utf8.count <= 63, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw ReadingCommand.fail("\(what): expected 1 to 63 ASCII letters, digits, '-', '_' or '.'\(extra.isEmpty ? "" : " (and % as a wildcard)"), got '\(name)'")
        }
    }
}

struct CentralHostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "List the hosts that ship to the central store: how far, how much, and when they last did.")

    @OptionGroup var config: CentralConfigOption

    @Flag(name: .customLong("json"), help: "One JSON object per line.")
    var json = false

    func run() async throws {
        let configuration = try config.load()
        let hosts = try await CentralSession.with(configuration) { client in
            try await CentralReader(client: client, store: configuration.endpointDescription, logger: CentralSession.logger).hosts()
        }
        if json {
            for host in hosts {
                var w = GoJSONObjectWriter()
                w.string("host", host.name)
                w.int("lastSeq", host.lastSeq)
                w.int("rows", host.rows)
                w.string("lastShippedAt", ReadingFormat.time(host.lastShippedAt))
                print(w.finishedText)
            }
            return
        }
        guard !hosts.isEmpty else { return print("no host has shipped to \(configuration.endpointDescription) yet") }
        var table = TextTable(["HOST", "LAST SEQ", "ROWS", "LAST SHIPPED"])
        for host in hosts { table.add([host.name, String(host.lastSeq), String(host.rows), ReadingFormat.time(host.lastShippedAt)]) }
        table.lines().forEach { print($0) }
    }
}
