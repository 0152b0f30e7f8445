import ArgumentParser
import Foundation
import Intercept

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Render, apply, verify or remove the iptables rules that steer API traffic into the gateway.",
        subcommands: [RenderRules.self, ApplyRules.self, VerifyRules.self, RemoveRules.self])
}

/// The backend for the configuration, or the system exit with the reason.
func detectBackend(_ renderer: RuleRenderer, requireRoot: Bool = true) throws -> NetfilterBackend {
    guard !requireRoot || geteuid() == 0 else {
        Console.error("changing or reading the firewall needs root (CAP_NET_ADMIN)")
        throw PortcullisExit.system
    }
    do {
        return try NetfilterBackend.detect(choice: renderer.configuration.backend)
    } catch {
        Console.error(error.description)
        throw PortcullisExit.system
    }
}

struct RenderRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the rules and sets for the configuration without touching the host.")

    @OptionGroup var config: ConfigOption

    @Option(name: .customLong("output-dir"), help: "Write portcullis.v4.rules, portcullis.v6.rules and portcullis.ipset into this directory instead.")
    var outputDirectory: String?

    func run() throws {
        let renderer = try config.renderer()
        let files = [("portcullis.ipset", renderer.ipsetText()), ("portcullis.v4.rules", renderer.restoreText(.v4)),
                     ("portcullis.v6.rules", renderer.restoreText(.v6))]
        guard let outputDirectory else {
            print(files.map(\.1).joined(separator: "\n"), terminator: "")
            return
        }
        for (name, text) in files {
            let path = outputDirectory + "/" + name
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                Console.error("cannot write \(path): \(error.localizedDescription)")
                throw PortcullisExit.system
            }
        }
    }
}

struct ApplyRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Install or reconcile the rules atomically, then end connections opened before them.")

    @OptionGroup var config: ConfigOption

    func run() throws {
        let renderer = try config.renderer()
        let backend = try detectBackend(renderer)
        do {
            try RuleInstaller(renderer: renderer, backend: backend).apply(killExisting: true)
        } catch {
            Console.error("applying the rules failed: \(error)")
            throw PortcullisExit.system
        }
        let families = backend.families.map { $0 == .v4 ? "IPv4" : "IPv6" }.joined(separator: " and ")
        Console.info("rules applied (\(backend.kind.rawValue) backend, \(families)); \(renderer.endpoints.entries.count) endpoint address(es) steered to port \(renderer.configuration.proxyPort)")
    }
}

struct VerifyRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the installed rules, sets and queue with the configuration; exit 1 on any drift.")

    @OptionGroup var config: ConfigOption

    @Flag(name: .customLong("json"), help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let renderer = try config.renderer()
        let backend = try detectBackend(renderer)
        let drift: [Drift]
        do {
            drift = try RuleVerifier(renderer: renderer, backend: backend).verify(
                checkQueue: true, queueListening: { ((try? QueueStatus.read(queue: renderer.configuration.queueNumber)) ?? nil) != nil })
        } catch {
            Console.error("reading the rules failed: \(error)")
            throw PortcullisExit.system
        }
        if json {
            let items = drift.map { "\"" + $0.description.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\"" }
            print("{\"verified\":\(drift.isEmpty),\"backend\":\"\(backend.kind.rawValue)\",\"drift\":[\(items.joined(separator: ","))]}")
        } else if drift.isEmpty {
            print("verified: the rules, sets and guard queue match the configuration (\(backend.kind.rawValue) backend)")
        } else {
            print("drift found:")
            for item in drift { print("  - \(item)") }
        }
        if !drift.isEmpty { throw PortcullisExit.drift }
    }
}

struct RemoveRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Delete the jumps, chains and sets Portcullis installed; every other rule stays as it was.")

    @OptionGroup var config: ConfigOption

    func run() throws {
        let renderer = try config.renderer()
        let backend = try detectBackend(renderer)
        do {
            try RuleInstaller(renderer: renderer, backend: backend).remove()
        } catch {
            Console.error("removing the rules failed: \(error)")
            throw PortcullisExit.system
        }
        Console.info("rules removed: API servers are reachable directly again")
    }
}
