import ArgumentParser
import Foundation
import Proxy

struct RelayEnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Issue a gateway its client certificate from the relay's CA, enrol it, and print its configuration.",
        discussion: """
            Writes NAME.key (mode 600), NAME.crt and relay-ca.crt into --out (a new directory, mode 700), records \
            the certificate in the relay's registry (the running relay admits it within a second), and prints the \
            clusters[].relay settings for the gateway's configuration. Copy the three files to the gateway's host, \
            the key owned by the gateway's uid with mode 600, and delete them here. The key is never printed. Run it \
            as root or as relay.uid on the relay's host (it reads the CA key). Enrolling a name again issues another \
            certificate; the earlier ones stay valid until revoked (portcullis relay revoke NAME --serial SERIAL).
            """)

    @OptionGroup var config: ConfigOption

    @Argument(help: "The gateway's name: its certificate's common name, recorded with every request it forwards.")
    var name: String

    @Option(name: .customLong("out"), help: "The directory to write the key and certificates into (default: ./NAME).")
    var out: String?

    @Option(name: .customLong("validity"), help: "How long the certificate is valid, e.g. 720h (default: 8760h, a year).")
    var validity: String = "8760h"

    @Option(name: .customLong("address"), help: "The relay's HOST:PORT as the gateway dials it (default: the first server name and listen port).")
    var address: String?

    @Option(name: .customLong("files-directory"), help: "Where the files will be on the gateway's host, for the printed configuration.")
    var filesDirectory = "/etc/portcullis/relay"

    func run() throws {
        let (configuration, section) = try config.loadRelay()
        if let problem = GatewayCertificateIssuer.problem(name: name) { throw ReadingCommand.fail("'\(name)': \(problem)") }
        guard let lifetime = DurationText.parse(validity), lifetime >= .seconds(3600) else {
            throw ReadingCommand.fail("--validity: expected a duration of an hour or more such as 720h, got '\(validity)'")
        }
        guard let tls = configuration.tls else {
            Console.error("\(config.path): tls: the section is required: the relay's CA (caCertificate, caKey)")
            throw PortcullisExit.configuration
        }
        let directory = out ?? "./\(name)"
        guard !FileManager.default.fileExists(atPath: directory) else {
            throw ReadingCommand.fail("--out \(directory) exists; give a new directory (the key must not land among other files)")
        }
        let authority: GatewayCertificateAuthority
        do {
            authority = try RelayFiles.asRelayUser(section.uid) { () throws in
                try GatewayCertificateAuthority.load(certificatePath: tls.caCertificate, keyPath: tls.caKey)
            }
        } catch {
            Console.error("cannot read the relay's CA: \(error)")
            throw PortcullisExit.configuration
        }
        let issued: GatewayCertificateIssuer.Issued
        do {
            issued = try GatewayCertificateIssuer.issue(name: name, authority: authority, lifetime: Double(lifetime.components.seconds))
        } catch {
            Console.error("\(error)")
            throw PortcullisExit.system
        }
        let paths = try RelayFiles.writeBundle(issued, authority: authority, name: name, directory: directory)
        let earlier: Int
        do {
            let owner = getpwuid(section.uid).map { (uid: section.uid, gid: $0.pointee.pw_gid) } ?? (uid: section.uid, gid: section.uid)
            earlier = try GatewayRegistry.update(path: section.registryPath, owner: owner) { registry in
                let count = registry.gateways.filter { $0.name == name && !$0.isRevoked }.count
                registry.gateways.append(issued.enrolment)
                return count
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            Console.error("cannot enrol \(name) in \(section.registryPath): \(error)")
            throw PortcullisExit.system
        }
        let relayAddress = address ?? Self.defaultAddress(section)
        let serverName = relayAddress.split(separator: ":").dropLast().joined(separator: ":").trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        Console.info("enrolled the gateway \(name): certificate \(issued.enrolment.serial), valid until \(issued.enrolment.notValidAfter)")
        Console.info("wrote \(paths.key) (mode 600: copy it to the gateway, owned by its uid, then delete it here), \(paths.certificate), \(paths.ca)")
        if earlier > 0 { Console.info("\(earlier) earlier certificate(s) of \(name) stay valid until revoked: portcullis relay revoke \(name) --serial SERIAL") }
        print(RelayFiles.snippet(name: name, clusters: configuration.clusterNames, address: relayAddress, serverName: serverName,
                                 directory: filesDirectory))
    }

    static func defaultAddress(_ section: RelaySection) -> String {
        let port = section.listen.first?.port ?? 8443
        let host = section.serverNames.first ?? section.listen.first?.address.description ?? "relay"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
