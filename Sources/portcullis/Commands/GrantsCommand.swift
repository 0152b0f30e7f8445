import ArgumentParser
import Foundation
import Kube
import Proxy
import Store

struct GrantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grants",
        abstract: "List the grants in force, from the recording (--all adds expired and revoked ones).",
        discussion: "With --central, the grants made through the central store, with the host each applies to (* for every host).")

    @OptionGroup var location: StoreLocationOptions

    @Flag(name: .customLong("all"), help: "Include expired and revoked grants.")
    var all = false

    @Flag(name: .customLong("json"), help: "One JSON object per line.")
    var json = false

    func run() async throws {
        try CentralReading.checkHostNeedsCentral(location)
        if location.central { return try await FleetGranting.list(location, all: all, json: json) }
        let reader = try location.open()
        let now = StoreClock.now()
        let grants = try ReadingCommand.query(reader) { try reader.grants() }.filter { all || $0.isActive(at: now) }
        if json {
            for g in grants {
                var w = GoJSONObjectWriter()
                AdminJSON.grant(g.grant, &w)
                w.string("state", g.state(at: now))
                if let at = g.revokedAt { w.string("revokedAt", ReadingFormat.time(at)) }
                if let by = g.revokedBy { AdminJSON.principal("revokedBy", by, &w) }
                w.stringOmitEmpty("revokeReason", g.revokeReason)
                print(String(decoding: w.finish(), as: UTF8.self))
            }
            return
        }
        guard !grants.isEmpty else { return print(all ? "no grants were ever made" : "no grants are in force") }
        var table = TextTable(["ID", "STATE", "SUBJECT", "SCOPE", "EXPIRES", "BY", "REASON"])
        for g in grants {
            table.add([g.grant.id, g.state(at: now), g.grant.subject.description, GrantText.scope(g.grant), g.grant.expiresAt.rfc3339,
                       GrantText.principal(g.grant.createdBy), g.grant.reason])
        }
        table.lines().forEach { print($0) }
    }
}
