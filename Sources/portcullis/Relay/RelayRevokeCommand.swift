import ArgumentParser
import Foundation
import Proxy

struct RelayRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a gateway's certificates: the running relay refuses it, and closes its open connections, within a second.",
        discussion: """
            Revokes every certificate of NAME that is in force, or only --serial. The revocation is recorded in \
            the relay's registry (with --reason); the relay re-reads it within 100 ms. Run it on the relay's host, \
            as root or as relay.uid.
            """)

    @OptionGroup var config: ConfigOption

    @Argument(help: "The gateway's name.")
    var name: String

    @Option(name: .customLong("serial"), help: "Revoke only the certificate with this serial (hex, as portcullis relay gateways lists it).")
    var serial: String?

    @Option(name: .customLong("reason"), help: "Why, for the registry and the relay's refusals.")
    var reason: String?

    func run() throws {
        let (_, section) = try config.loadRelay()
        let now = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC") ?? .current,
                                              formatOptions: [.withInternetDateTime])
        let wanted = serial?.lowercased().replacingOccurrences(of: ":", with: "")
        let revoked: [String]
        do {
            let owner = getpwuid(section.uid).map { (uid: section.uid, gid: $0.pointee.pw_gid) } ?? (uid: section.uid, gid: section.uid)
            revoked = try GatewayRegistry.update(path: section.registryPath, owner: owner) { registry in
                var serials: [String] = []
                for index in registry.gateways.indices where registry.gateways[index].name == name && !registry.gateways[index].isRevoked
                    && (wanted == nil || registry.gateways[index].serial == wanted) {
                    registry.gateways[index].revokedAt = now
                    registry.gateways[index].revocationReason = reason
                    serials.append(registry.gateways[index].serial)
                }
                return serials
            }
        } catch {
            Console.error("cannot revoke in \(section.registryPath): \(error)")
            throw PortcullisExit.system
        }
        guard !revoked.isEmpty else {
            throw ReadingCommand.fail("no certificate of the gateway \(name)\(serial.map { " with serial \($0)" } ?? "") is in force in \(section.registryPath)")
        }
        print("revoked \(revoked.count) certificate(s) of the gateway \(name): \(revoked.joined(separator: ", "))")
        print("a running relay refuses them, and closes their open connections, within a second")
    }
}
