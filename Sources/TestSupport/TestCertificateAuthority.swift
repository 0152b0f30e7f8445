import Foundation

/// A throwaway certificate authority made with openssl, for servers a test starts (PostgreSQL) and
/// the clients that log in to them with certificates.
///
/// Invariants:
/// - Its key (`ca.key`) is root's, mode 0600, and never leaves ``directory``; its certificate
///   (`ca.crt`) is mode 0644, so every uid can trust it.
/// - Every key is P-256 and is created mode 0600 before openssl writes it, so it is never readable
///   by others, not even for a moment; a key issued to a uid is then owned by that uid.
/// - Serial numbers are random, so certificates can be issued concurrently.
/// - Names are checked before they reach openssl: letters, digits, `.`, `_` and `-` only (and spaces in
///   the CA's own name).
public struct TestCertificateAuthority: Sendable {
    public static let openssl = "/usr/bin/openssl"

    public let directory: String
    /// `DIRECTORY/ca.crt`, readable by every uid.
    public var certificatePath: String { directory + "/ca.crt" }
    var keyPath: String { directory + "/ca.key" }

    /// Makes a CA named `name` in `directory` (which must exist), valid for 30 days.
    public static func create(in directory: String, name: String) throws -> TestCertificateAuthority {
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            throw HarnessError("missing \(openssl): install the Debian package openssl (scripts/setup.sh does)")
        }
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || " ._-".contains($0)) }) else {
            throw HarnessError("\"\(name)\" is not a name for a test CA: use 1 to 64 letters, digits, spaces, '.', '_' or '-'")
        }
        let authority = TestCertificateAuthority(directory: directory)
        try createPrivateFile(authority.keyPath)
        try run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", authority.keyPath], "CA key")
        try run(["req", "-x509", "-new", "-key", authority.keyPath, "-subj", "/O=Portcullis tests/CN=\(name)", "-days", "30",
                 "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-out", authority.certificatePath], "CA certificate")
        try setMode(0o644, authority.certificatePath)
        return authority
    }

    /// A server certificate for `commonName` whose SANs are `ipAddresses` and `dnsNames`, written to
    /// `PREFIX.crt` and `PREFIX.key` in ``directory``; both are owned by `uid`:`gid`.
    public func issueServerCertificate(_ prefix: String, commonName: String, ipAddresses: [String], dnsNames: [String],
                                       owner uid: UInt32, group gid: UInt32) throws -> (certificate: String, key: String) {
        try dnsNames.forEach(Self.requireSafeName)
        for address in ipAddresses where address.isEmpty || !address.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) {
            throw HarnessError("not an IP address for a certificate: \(address)")
        }
        let names = (ipAddresses.map { "IP:\($0)" } + dnsNames.map { "DNS:\($0)" }).joined(separator: ",")
        return try issue(prefix, commonName: commonName, owner: uid, group: gid,
                         extensions: "subjectAltName=\(names)\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:false\n")
    }

    /// A client certificate whose subject is `CN=commonName`, written to `PREFIX.crt` and `PREFIX.key`
    /// in ``directory``; both are owned by `uid`:`gid`.
    public func issueClientCertificate(_ prefix: String, commonName: String,
                                       owner uid: UInt32, group gid: UInt32) throws -> (certificate: String, key: String) {
        try issue(prefix, commonName: commonName, owner: uid, group: gid,
                  extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:false\n")
    }

    private func issue(_ prefix: String, commonName: String, owner uid: UInt32, group gid: UInt32,
                       extensions: String) throws -> (certificate: String, key: String) {
        try Self.requireSafeName(prefix)
        try Self.requireSafeName(commonName)
        let base = directory + "/" + prefix
        let key = base + ".key", request = base + ".csr", certificate = base + ".crt", extensionFile = base + ".ext"
        defer {
            try? FileManager.default.removeItem(atPath: request)
            try? FileManager.default.removeItem(atPath: extensionFile)
        }
        try extensions.write(toFile: extensionFile, atomically: false, encoding: .utf8)
        try Self.createPrivateFile(key)
        try Self.run(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key], "key for \(commonName)")
        try Self.run(["req", "-new", "-key", key, "-subj", "/CN=\(commonName)", "-out", request], "request for \(commonName)")
        let serial = "0x" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try Self.run(["x509", "-req", "-in", request, "-CA", certificatePath, "-CAkey", keyPath, "-set_serial", serial,
                      "-days", "30", "-extfile", extensionFile, "-out", certificate], "certificate for \(commonName)")
        try Self.setMode(0o644, certificate)
        guard chown(key, uid, gid) == 0, chown(certificate, uid, gid) == 0 else {
            throw HarnessError("cannot hand \(key) to uid \(uid): \(String(cString: strerror(errno)))")
        }
        return (certificate, key)
    }

    static func requireSafeName(_ name: String) throws {
        guard (1...64).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) else {
            throw HarnessError("\"\(name)\" is not a name for a test certificate: use 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }

    /// Creates an empty file of mode 0600 (or empties an existing one, keeping its mode).
    private static func createPrivateFile(_ path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
        close(fd)
        try setMode(0o600, path)
    }

    private static func setMode(_ mode: mode_t, _ path: String) throws {
        guard chmod(path, mode) == 0 else {
            throw HarnessError("cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func run(_ arguments: [String], _ what: String) throws {
        let result = try HostCommand.run(openssl, arguments)
        guard result.status.isSuccess else {
            throw HarnessError("openssl could not make the \(what) (\(result.status)): \(result.standardError)")
        }
    }
}
