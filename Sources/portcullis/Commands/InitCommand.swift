import ArgumentParser
import Foundation
import Intercept
import Proxy

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Prepare a host: the gateway's system user, its state directory, and the gateway CA.",
        discussion: """
            Idempotent. The user is created only when no user has the configured uid; the CA only when its files \
            do not exist (an existing CA, generated or supplied by the operator, is checked instead).
            """)

    @OptionGroup var config: ConfigOption

    @Flag(name: .customLong("skip-user"), help: "Do not create the gateway user (tests, or images that manage users themselves).")
    var skipUser = false

    func run() throws {
        guard geteuid() == 0 else {
            Console.error("init needs root: it creates a system user, directories and the CA key")
            throw PortcullisExit.system
        }
        let configuration = try config.loadGateway(for: "init")
        let uid = configuration.intercept.gatewayUID
        let gid = try ensureUser(uid: uid, home: configuration.stateDirectory)
        let adminGroup = try Self.ensureDirectories(of: configuration, uid: uid, gid: gid)
        if let tls = configuration.tls { try Self.ensureAuthority(tls, uid: uid, gid: gid, what: "gateway CA") }
        print("""
            portcullis: the host is ready.
              gateway uid:      \(uid)
              state directory:  \(configuration.stateDirectory)
              recording:        \(configuration.storePath) (created by portcullis up; read it with portcullis sessions)
              admin socket:     \(configuration.adminSocketPath) (for root\(adminGroup.map { " and gid \($0)" } ?? ""); created by portcullis up)
            \(configuration.tls.map { "  gateway CA:       \($0.caCertificate) (give this certificate to the agents' kubeconfigs, or use an intermediate of the cluster CA)" } ?? "  gateway CA:       not configured (add a tls section)")
            Next: start the gateway as uid \(uid) with CAP_NET_ADMIN and CAP_NET_RAW: portcullis up --config \(config.path)
            """)
    }

    /// The gateway user's primary gid, creating the user `portcullis` when no user has `uid`.
    private func ensureUser(uid: UInt32, home: String) throws -> UInt32 {
        if let entry = getpwuid(uid) { return entry.pointee.pw_gid }
        guard !skipUser else { return uid }
        if getpwnam("portcullis") != nil {
            Console.error("a user named portcullis exists with another uid; set gateway.uid to its uid or remove it")
            throw PortcullisExit.system
        }
        let runner = ProcessCommandRunner()
        do {
            try runner.check("/usr/sbin/useradd", ["--system", "--uid", String(uid), "--user-group", "--no-create-home",
                                                    "--home-dir", home, "--shell", "/usr/sbin/nologin", "portcullis"])
        } catch {
            Console.error("creating the gateway user failed: \(error)")
            throw PortcullisExit.system
        }
        Console.info("created the system user portcullis (uid \(uid))")
        return getpwuid(uid)?.pointee.pw_gid ?? uid
    }

    /// The state directory, the admin socket's and the recording's, owned by `uid`, as a gateway
    /// and a relay both need them. Returns the admin group, if the configuration names one.
    @discardableResult
    static func ensureDirectories(of configuration: GatewayConfiguration, uid: UInt32, gid: UInt32) throws -> UInt32? {
        let adminGroup: UInt32?
        do {
            adminGroup = try PolicyAssembly.admin(configuration).adminGroup
        } catch {
            Console.error(error.description)
            throw PortcullisExit.configuration
        }
        let socketDirectory = (configuration.adminSocketPath as NSString).deletingLastPathComponent
        // Admin group members must pass through the state directory to the socket (not list it).
        let passable = adminGroup != nil && socketDirectory.hasPrefix(configuration.stateDirectory + "/")
        try ensureDirectory(configuration.stateDirectory, mode: passable ? 0o751 : 0o750, uid: uid, gid: gid)
        // The admin socket's directory: setgid with the admin group, so the socket gets that group.
        try ensureDirectory(socketDirectory, mode: adminGroup == nil ? 0o700 : 0o2750, uid: uid, gid: adminGroup ?? gid)
        // The recording's directory, when it is elsewhere and missing; an existing one is left as it is.
        let storeDirectory = (configuration.storePath as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: storeDirectory) {
            try ensureDirectory(storeDirectory, mode: 0o750, uid: uid, gid: gid)
        }
        return adminGroup
    }

    static func ensureDirectory(_ path: String, mode: mode_t, uid: UInt32, gid: UInt32) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            Console.error("cannot create \(path): \(error.localizedDescription)")
            throw PortcullisExit.system
        }
        guard chmod(path, mode) == 0, chown(path, uid, gid) == 0 else {
            Console.error("cannot set the mode and owner of \(path): \(String(cString: strerror(errno)))")
            throw PortcullisExit.system
        }
    }

    /// Checks (and hands to `uid`) an operator-supplied CA, or generates one; `what` names it in messages.
    static func ensureAuthority(_ tls: TLSSection, uid: UInt32, gid: UInt32, what: String) throws {
        let exists = FileManager.default.fileExists(atPath: tls.caCertificate) || FileManager.default.fileExists(atPath: tls.caKey)
        do {
            for directory in Set([tls.caCertificate, tls.caKey].map { ($0 as NSString).deletingLastPathComponent }) where !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            if exists {
                // An operator-supplied CA (e.g. an intermediate of the cluster CA): the key must be the
                // gateway's alone. `portcullis up` validates the pair when it starts, as the gateway uid.
                guard FileManager.default.fileExists(atPath: tls.caCertificate), FileManager.default.fileExists(atPath: tls.caKey) else {
                    Console.error("only one of \(tls.caCertificate) and \(tls.caKey) exists: supply both, or neither to have one generated")
                    throw PortcullisExit.configuration
                }
                guard chown(tls.caKey, uid, gid) == 0, chmod(tls.caKey, 0o600) == 0 else {
                    Console.error("cannot give \(tls.caKey) to uid \(uid) with mode 600: \(String(cString: strerror(errno)))")
                    throw PortcullisExit.system
                }
                Console.info("using the existing \(what) \(tls.caCertificate); its key \(tls.caKey) now belongs to uid \(uid) with mode 600")
            } else {
                _ = try GatewayCertificateAuthority.create(certificatePath: tls.caCertificate, keyPath: tls.caKey,
                                                           owner: (uid: uid, gid: gid))
                Console.info("created the \(what) at \(tls.caCertificate) (key \(tls.caKey), mode 600, owned by uid \(uid))")
            }
        } catch {
            Console.error("\(error)")
            throw PortcullisExit.configuration
        }
    }
}
