import ArgumentParser
import Foundation
import Kube
import Proxy
import Yams

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check a policy file, or see which rule would decide a request (docs/policy.md).",
        subcommands: [PolicyCheckCommand.self, PolicyExplainCommand.self])
}

/// The policy file an operator names: `--config` may be the gateway's configuration (its
/// `policy.file` is used) or a policy file itself; `--file` names a policy file directly.
struct PolicyFileOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("The gateway configuration (its policy.file), or a policy file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("file"), help: ArgumentHelp("A policy file.", valueName: "file"))
    var file: String?

    func policyPath() throws -> String {
        if let file { return file }
        guard let config else { throw ReadingCommand.fail("give the policy file with --file FILE, or the gateway configuration with --config FILE") }
        if Self.isPolicyFile(config) { return config }
        do {
            let configuration = try GatewayConfiguration.load(path: config)
            guard let policy = configuration.policy else {
                throw ReadingCommand.fail("\(config): policy: the section is missing, so there is no policy file to check")
            }
            return policy.file
        } catch let error as ConfigurationError {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }

    /// Whether `path` holds a policy (a top-level `rules` and no `gateway`).
    static func isPolicyFile(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let node = try? Yams.compose(yaml: text),
              case .mapping(let mapping) = node else { return false }
        let keys = Set(mapping.keys.compactMap(\.string))
        return keys.contains("rules") && !keys.contains("gateway")
    }

    func load() throws -> (path: String, policy: Policy) {
        let path = try policyPath()
        do {
            return (path, try PolicyFile.load(path: path).policy)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
    }
}

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a policy file; errors name the file, the line and the field. Exits 2 when it is wrong.")

    @OptionGroup var options: PolicyFileOptions

    func run() throws {
        let (path, policy) = try options.load()
        let effects = PolicyEffect.allCases.map { effect in "\(policy.rules.filter { $0.effect == effect }.count) \(effect.rawValue)" }
        print("\(path): valid: \(policy.rules.count) rules (\(effects.joined(separator: ", "))); default effect \(policy.defaultEffect.rawValue); "
              + "review waits \(DurationWords.text(policy.review.timeout)), at most \(policy.review.maxHeld) held")
    }
}

struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Print which rule of a policy file would decide a request.",
        discussion: """
            Write the request after --, kubectl-like (delete namespace prod; get pods -n demo; exec web-1 -n demo; \
            logs web-1; watch pods -A; get /version) or raw (DELETE /api/v1/namespaces/prod). Grants, which the \
            gateway checks before the rules, are not considered: see portcullis grants.
            """)

    @OptionGroup var options: PolicyFileOptions

    @Option(name: .customLong("user"), help: ArgumentHelp("The verified username, with its issuer's prefix (oidc:alice).", valueName: "name"))
    var user: String

    @Option(name: .customLong("groups"), help: ArgumentHelp("Its groups, comma-separated.", valueName: "groups"))
    var groups: String = ""

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The request.", valueName: "request"))
    var request: [String] = []

    func run() throws {
        let (_, policy) = try options.load()
        let info: RequestInfo
        do {
            info = try ExplainRequest.parse(request.first == "--" ? Array(request.dropFirst()) : request)
        } catch {
            throw ReadingCommand.fail(error.description)
        }
        let access = AccessRequest(username: user, groups: groups.split(separator: ",").map(String.init).filter { !$0.isEmpty }, info: info)
        print("request:  \(Self.describe(access.info))")
        print("as:       \(user)" + (access.groups.isEmpty ? "" : " (groups \(access.groups.joined(separator: ", ")))"))
        let decision = policy.decide(access)
        if case .rule(let id) = decision.source, let rule = policy.rules.first(where: { $0.id == id }) {
            print("decision: \(decision.effect.rawValue) by rule \(id)" + (rule.location.map { " (\($0))" } ?? ""))
        } else {
            print("decision: \(decision.effect.rawValue): no rule matches, so the default effect decides")
        }
        if let reason = decision.reason { print("reason:   \(reason)") }
        if decision.effect == .review {
            print("review:   held for up to \(DurationWords.text(policy.review.timeout)) until approved (portcullis approve) or denied")
        }
    }

    static func describe(_ info: RequestInfo) -> String {
        guard info.isResourceRequest else { return "\(info.verb) \(info.path) (non-resource URL)" }
        var parts = ["verb \(info.verb)", "resource \(info.subresource.isEmpty ? info.resource : "\(info.resource)/\(info.subresource)")"]
        parts.append("apiGroup \(info.apiGroup.isEmpty ? "\"\" (core)" : info.apiGroup)")
        if !info.namespace.isEmpty { parts.append("namespace \(info.namespace)") }
        if !info.name.isEmpty { parts.append("name \(info.name)") }
        return parts.joined(separator: ", ")
    }
}
