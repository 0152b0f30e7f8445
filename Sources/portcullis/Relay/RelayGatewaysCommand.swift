import ArgumentParser
import Foundation
import Kube
import Store
import Proxy

struct RelayGatewaysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateways",
        abstract: "List the gateway certificates the relay enrolled, and which are revoked.")

    @OptionGroup var config: ConfigOption

    @Flag(name: .customLong("json"), help: "One JSON object per line.")
    var json = false

    func run() throws {
        let (_, section) = try config.loadRelay()
        let registry: GatewayRegistry
        do {
            registry = try GatewayRegistry.load(path: section.registryPath)
        } catch {
            Console.error(error.description)
            throw PortcullisExit.system
        }
        if json {
            for g in registry.gateways {
                var w = GoJSONObjectWriter()
                w.string("name", g.name)
                w.string("serial", g.serial)
                w.string("fingerprint", g.fingerprint)
                w.string("issuedAt", g.issuedAt)
                w.string("notValidAfter", g.notValidAfter)
                w.stringOmitEmpty("revokedAt", g.revokedAt)
                w.stringOmitEmpty("revocationReason", g.revocationReason)
                print(w.finishedText)
            }
            return
        }
        guard !registry.gateways.isEmpty else { return print("no gateway is enrolled (portcullis relay enroll NAME)") }
        var table = TextTable(["NAME", "SERIAL", "ISSUED", "EXPIRES", "STATE"])
        for g in registry.gateways {
            table.add([g.name, g.serial, g.issuedAt, g.notValidAfter, g.revokedAt.map { "revoked \($0)" } ?? "in force"])
        }
        table.lines().forEach { print($0) }
    }
}
