import ArgumentParser
import Foundation
import Kube
import Proxy

struct GrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Allow a user or group some requests for a while: a grant, checked before the policy's rules, that expires on its own.",
        discussion: """
            Example: portcullis grant --user oidc:agent-7 --verbs delete --resources pods --namespaces demo --for 30m \
            --reason "clean up the demo". Lists are comma-separated. The grant is recorded with your uid before it is \
            in force, and survives a restart of the gateway. Needs root or the admin group. With --central, the grant \
            is made in the central store for every host of the fleet (or --host NAME), recorded with your database \
            role, and in force on each gateway within a second.
            """)

    @OptionGroup var admin: AdminOptions

    @Option(name: .customLong("user"), help: ArgumentHelp("The verified username, with its issuer's prefix.", valueName: "name"))
    var user: String?

    @Option(name: .customLong("group"), help: ArgumentHelp("A verified group, with its issuer's prefix.", valueName: "group"))
    var group: String?

    @Option(name: .customLong("verbs"), help: ArgumentHelp("Verbs: get, list, watch, create, update, patch, delete, ...", valueName: "verbs"))
    var verbs: [String] = []

    @Option(name: .customLong("resources"), help: ArgumentHelp("Resources: pods, pods/exec, deployments, ...", valueName: "resources"))
    var resources: [String] = []

    @Option(name: .customLong("api-groups"), help: ArgumentHelp("API groups (\"\" is the core group); any when omitted.", valueName: "groups"))
    var apiGroups: [String] = []

    @Option(name: .customLong("namespaces"), help: ArgumentHelp("Namespaces.", valueName: "namespaces"))
    var namespaces: [String] = []

    @Flag(name: .customLong("all-namespaces"), help: "Every namespace, and cluster-scoped resources.")
    var allNamespaces = false

    @Option(name: .customLong("names"), help: ArgumentHelp("Object names; any when omitted.", valueName: "names"))
    var names: [String] = []

    @Option(name: .customLong("non-resource-urls"), help: ArgumentHelp("Non-resource URLs instead of resources: /version, /openapi/*.",
                                                                       valueName: "paths"))
    var nonResourceURLs: [String] = []

    @Option(name: .customLong("for"), help: ArgumentHelp("How long: 30m, 2h, 1d (at most 7d).", valueName: "duration"))
    var duration: String

    @Option(name: .customLong("reason"), help: ArgumentHelp("Why: recorded, and shown with the requests it admits.", valueName: "text"))
    var reason: String

    func run() async throws {
        try admin.checkHostNeedsCentral()
        if admin.central { return try await FleetGranting.grant(admin, request: try request()) }
        let answer = try await admin.call(.post, "/v1/grants", body: try request())
        if admin.json { return admin.printJSON(answer) }
        guard let grant = AdminJSON.decodeGrant(answer) else { return admin.printJSON(answer) }
        print("granted \(grant.id): \(GrantText.scope(grant)) to \(grant.subject), until \(grant.expiresAt.rfc3339)")
    }

    func request() throws -> JSONValue {
        guard (user == nil) != (group == nil) else { throw ReadingCommand.fail("give exactly one of --user NAME and --group NAME") }
        guard let seconds = DurationText.parse(duration)?.components.seconds, seconds >= 1 else {
            throw ReadingCommand.fail("--for: expected a duration such as 30m, 2h or 1d, got '\(duration)'")
        }
        let urls = Self.list(nonResourceURLs)
        if urls.isEmpty {
            guard !Self.list(resources).isEmpty else { throw ReadingCommand.fail("give --resources (or --non-resource-urls)") }
            guard allNamespaces != !Self.list(namespaces).isEmpty else {
                throw ReadingCommand.fail("give --namespaces NAMES, or --all-namespaces for every namespace and cluster-scoped resources")
            }
        }
        var object: [String: JSONValue] = [
            "subjectKind": .string(user == nil ? "group" : "user"), "subject": .string(user ?? group ?? ""),
            "verbs": Self.array(verbs), "resources": Self.array(resources), "apiGroups": Self.array(apiGroups, keepEmpty: true),
            "namespaces": Self.array(namespaces), "names": Self.array(names), "nonResourceURLs": Self.array(nonResourceURLs),
            "reason": .string(reason), "seconds": .int(seconds),
        ]
        if allNamespaces { object["namespaces"] = .array([]) }
        return .object(object)
    }

    /// Comma-separated or repeated values.
    static func list(_ values: [String], keepEmpty: Bool = false) -> [String] {
        values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: !keepEmpty).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    static func array(_ values: [String], keepEmpty: Bool = false) -> JSONValue {
        .array(list(values, keepEmpty: keepEmpty).map(JSONValue.string))
    }
}

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "End a grant early. Recorded with your uid before it takes effect. Needs root or the admin group.",
        discussion: "With --central, end a grant made through the central store, on every gateway it applies to.")

    @OptionGroup var admin: AdminOptions

    @Argument(help: ArgumentHelp("The grant's ID (portcullis grants).", valueName: "id"))
    var id: String

    @Option(name: .customLong("reason"), help: ArgumentHelp("Why, for the record.", valueName: "text"))
    var reason: String?

    func run() async throws {
        try admin.checkHostNeedsCentral()
        if admin.central { return try await FleetGranting.revoke(admin, id: id, reason: reason) }
        let answer = try await admin.call(.post, "/v1/grants/\(id)/revoke", body: .object(["reason": .string(reason ?? "")]))
        if admin.json { return admin.printJSON(answer) }
        print("revoked \(id)" + (AdminJSON.decodeGrant(answer).map { ": \(GrantText.scope($0)) for \($0.subject)" } ?? ""))
    }
}

/// How grants read in the CLI's output.
enum GrantText {
    /// "delete on pods in demo", "get,list on pods, services in every namespace".
    static func scope(_ g: Grant) -> String {
        if !g.nonResourceURLs.isEmpty { return "\(g.verbs.joined(separator: ",")) on \(g.nonResourceURLs.joined(separator: ", "))" }
        var text = "\(g.verbs.joined(separator: ",")) on \(g.resources.joined(separator: ", "))"
        if !g.names.isEmpty { text += " named \(g.names.joined(separator: ", "))" }
        text += g.namespaces.isEmpty ? " in every namespace" : " in \(g.namespaces.map { $0.isEmpty ? "(cluster scope)" : $0 }.joined(separator: ", "))"
        return text
    }

    /// "0" for a local uid (as before), "central:alice" for a database role.
    static func principal(_ p: Principal) -> String {
        switch p {
        case .uid(let uid): String(uid)
        case .centralRole(let role): "central:\(role)"
        }
    }
}
