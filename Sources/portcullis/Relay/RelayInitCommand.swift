import ArgumentParser
import Foundation
import Proxy

struct RelayInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Prepare a relay host: the state directory, the admin socket's directory and the relay's CA.",
        discussion: """
            Idempotent, as root. The CA (tls.caCertificate, tls.caKey) is generated only when its files do not \
            exist; it signs the gateways' client certificates (portcullis relay enroll) and the relay's serving \
            certificate, and its key belongs to relay.uid with mode 600. The relay's user must exist already (or \
            be a bare numeric uid, as in a container).
            """)

    @OptionGroup var config: ConfigOption

    func run() throws {
        guard geteuid() == 0 else {
            Console.error("relay init needs root: it creates directories owned by the relay's uid and its CA key")
            throw PortcullisExit.system
        }
        let (configuration, section) = try config.loadRelay()
        let uid = section.uid
        let gid = getpwuid(uid)?.pointee.pw_gid ?? uid
        try InitCommand.ensureDirectories(of: configuration, uid: uid, gid: gid)
        guard let tls = configuration.tls else {
            Console.error("\(config.path): tls: the section is required: the relay's CA (caCertificate, caKey)")
            throw PortcullisExit.configuration
        }
        try InitCommand.ensureAuthority(tls, uid: uid, gid: gid, what: "relay CA")
        print("""
            portcullis: the relay host is ready.
              relay uid:        \(uid)
              state directory:  \(configuration.stateDirectory)
              gateways:         \(section.registryPath) (written by portcullis relay enroll)
              recording:        \(configuration.storePath)
              relay CA:         \(tls.caCertificate)
            Next: enrol each gateway (portcullis relay enroll NAME --config \(config.path)), then start the relay as uid \(uid): portcullis relay --config \(config.path)
            """)
    }
}
