import Foundation
import Proxy

/// The files `portcullis relay enroll` hands over, and reading the relay's CA key as its owner.
enum RelayFiles {
    struct Bundle {
        var key: String
        var certificate: String
        var ca: String
    }

    /// Runs `body` with the effective uid and gid of the relay's user when the caller is root, so
    /// that the CA key (mode 600, the relay's) is read by its owner; back to root afterwards.
    static func asRelayUser<T>(_ uid: UInt32, _ body: () throws -> T) throws -> T {
        guard geteuid() == 0, uid != 0 else { return try body() }
        let gid = getpwuid(uid)?.pointee.pw_gid ?? uid
        guard setegid(gid) == 0, seteuid(uid) == 0 else {
            throw RelayFileError(message: "cannot act as the relay's uid \(uid): \(String(cString: strerror(errno)))")
        }
        defer {
            _ = seteuid(0)
            _ = setegid(0)
        }
        return try body()
    }

    /// Creates `directory` (mode 700) with the key (600), the certificate and the relay CA (644).
    static func writeBundle(_ issued: GatewayCertificateIssuer.Issued, authority: GatewayCertificateAuthority, name: String,
                            directory: String) throws -> Bundle {
        let bundle = Bundle(key: directory + "/\(name).key", certificate: directory + "/\(name).crt", ca: directory + "/relay-ca.crt")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try write(issued.keyPEM, to: bundle.key, mode: 0o600)
            try write(issued.certificatePEM, to: bundle.certificate, mode: 0o644)
            try write(try authority.certificatePEM(), to: bundle.ca, mode: 0o644)
            return bundle
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            Console.error("cannot write the gateway's files into \(directory): \(error)")
            throw PortcullisExit.system
        }
    }

    /// Creates `path` with `mode` before a byte is written (so a key is never readable by others).
    private static func write(_ text: String, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw RelayFileError(message: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw RelayFileError(message: "\(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw RelayFileError(message: "\(path): \(String(cString: strerror(errno)))") }
            written += n
        }
    }

    /// The gateway's side, for its configuration: one `relay:` block per cluster the relay serves.
    static func snippet(name: String, clusters: [String], address: String, serverName: String, directory: String) -> String {
        var text = """
            # The gateway \(name): copy \(name).key (owned by the gateway's uid, mode 600), \(name).crt and relay-ca.crt to
            # \(directory)/ on its host. In its configuration, each cluster it reaches through this relay gets the
            # relay block below instead of caFile, tokenFile, clientCertificate and clientKey (keep its name, endpoints
            # and serverNames: the gateway still intercepts those). Then remove the old cluster credential from the host.
            clusters:

            """
        for cluster in clusters {
            text += """
                  - name: \(cluster)
                    endpoints: []        # the cluster's API endpoints, as the gateway had them
                    relay:
                      address: \(address)
                      serverName: \(serverName)
                      caFile: \(directory)/relay-ca.crt
                      clientCertificate: \(directory)/\(name).crt
                      clientKey: \(directory)/\(name).key

                """
        }
        return text
    }
}

/// Why a relay file could not be written or read.
struct RelayFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
