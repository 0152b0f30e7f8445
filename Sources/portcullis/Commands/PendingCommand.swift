import ArgumentParser
import Foundation
import Kube
import Proxy
import Store

struct PendingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List the requests held for review: who, what (\"delete namespace prod\"), a summary of the body, and time left.",
        discussion: """
            Decide them with portcullis approve ID or portcullis deny ID --reason TEXT. Needs root or the admin group. \
            With --central, the requests held on every host of the fleet (--host NAME for one), from any machine with \
            the reviewer role's credentials; their IDs are HOST/r<N>.
            """)

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        try admin.checkHostNeedsCentral()
        if admin.central { return try await FleetReviewing.pending(admin) }
        let answer = try await admin.call(.get, "/v1/pending")
        if admin.json { return admin.printJSON(answer) }
        let held = (answer["pending"]?.arrayValue ?? []).compactMap(AdminJSON.decodeHeld)
        guard !held.isEmpty else { return print("no requests are waiting for review") }
        let now = StoreClock.now()
        var table = TextTable(["ID", "WAITING", "LEFT", "USER", "RULE", "INTENT"])
        for h in held {
            table.add([String(h.id), ReadingFormat.duration(now.microseconds - h.heldAt.microseconds),
                       ReadingFormat.duration(max(0, h.deadline.microseconds - now.microseconds)), h.username, h.rule, h.intent])
        }
        table.lines().forEach { print($0) }
        print("")
        for h in held { print("\(h.id): body: \(h.bodySummary)" + (h.reason.map { "; rule says: \($0)" } ?? "")) }
    }
}

struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a held request: it is forwarded once the approval is recorded (with your uid).",
        discussion: "With --central, a request held on any host (HOST/r<N>), recorded with your database role.")

    @OptionGroup var admin: AdminOptions

    @Argument(help: ArgumentHelp("The held request's ID (portcullis pending).", valueName: "id"))
    var id: String

    @Option(name: .customLong("reason"), help: ArgumentHelp("Why, for the record.", valueName: "text"))
    var reason: String?

    func run() async throws {
        try admin.checkHostNeedsCentral()
        if admin.central { return try await FleetReviewing.decide(admin, id: id, allow: true, reason: reason) }
        let answer = try await admin.call(.post, "/v1/pending/\(id)/approve", body: .object(["reason": .string(reason ?? "")]))
        if admin.json { return admin.printJSON(answer) }
        print("approved \(id): \(answer["intent"]?.stringValue ?? "") (as \(answer["user"]?.stringValue ?? "?"))")
    }
}

struct DenyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Deny a held request: the client gets 403 with your reason, and the record names your uid.",
        discussion: "With --central, a request held on any host (HOST/r<N>), recorded with your database role.")

    @OptionGroup var admin: AdminOptions

    @Argument(help: ArgumentHelp("The held request's ID (portcullis pending).", valueName: "id"))
    var id: String

    @Option(name: .customLong("reason"), help: ArgumentHelp("Shown to the agent and recorded.", valueName: "text"))
    var reason: String

    func run() async throws {
        try admin.checkHostNeedsCentral()
        if admin.central { return try await FleetReviewing.decide(admin, id: id, allow: false, reason: reason) }
        let answer = try await admin.call(.post, "/v1/pending/\(id)/deny", body: .object(["reason": .string(reason)]))
        if admin.json { return admin.printJSON(answer) }
        print("denied \(id): \(answer["intent"]?.stringValue ?? "") (as \(answer["user"]?.stringValue ?? "?"))")
    }
}
