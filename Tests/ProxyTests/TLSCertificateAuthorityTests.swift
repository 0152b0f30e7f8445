import Crypto
import Foundation
import Intercept
import Proxy
import Testing
import TestSupport
import X509

/// The gateway CA: generated and written by `portcullis init`, or supplied by the operator.
@Suite("Gateway CA")
struct TLSCertificateAuthorityTests {
    // MARK: Generated

    @Test("a generated CA is a P-256 CA: CA:TRUE critical, keyCertSign+cRLSign, SKI, ten years, named for the host")
    func generatedShape() throws {
        let now = Date()
        let authority = try GatewayCertificateAuthority.generate(hostname: "runner-7.example", now: now)
        let certificate = authority.certificate
        #expect(authority.keyAlgorithm == .p256)
        #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        #expect(certificate.subject.description.contains("CN=Portcullis gateway CA runner-7.example"))
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))

        let basic = try #require(certificate.extensions[oid: .X509ExtensionID.basicConstraints])
        #expect(basic.critical)
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let usage = try #require(certificate.extensions[oid: .X509ExtensionID.keyUsage])
        #expect(usage.critical)
        let keyUsage = try #require(try certificate.extensions.keyUsage)
        #expect(keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        let ski = try #require(try certificate.extensions.subjectKeyIdentifier)
        #expect(ski.keyIdentifier == authority.subjectKeyIdentifier)
        #expect(!ski.keyIdentifier.isEmpty)

        let years = certificate.notValidAfter.timeIntervalSince(now) / (365.25 * 86_400)
        #expect(abs(years - 10) < 0.01, "validity is \(years) years")
        #expect(certificate.notValidBefore <= now)
        #expect(authority.furtherChain.isEmpty)
    }

    @Test("a very long hostname is cut so the common name stays within 64 characters")
    func longHostname() throws {
        let authority = try GatewayCertificateAuthority.generate(hostname: String(repeating: "h", count: 200))
        let afterCN = try #require(authority.certificate.subject.description.split(separator: "CN=").last)
        let commonName = afterCN.prefix { $0 != "," }
        #expect(commonName.count == 64, "\(authority.certificate.subject)")
        #expect(commonName.hasPrefix("Portcullis gateway CA hhh"))
    }

    @Test("OpenSSL accepts the generated certificate as a CA that can issue")
    func opensslAcceptsGeneratedCA() async throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let authority = try GatewayCertificateAuthority.create(
            certificatePath: directory.path("ca.crt"), keyPath: directory.path("ca.key"), hostname: "runner")
        let verified = try await OpenSSL.run(["verify", "-CAfile", directory.path("ca.crt"), directory.path("ca.crt")])
        #expect(verified.status.isSuccess, "\(verified)")
        let purpose = try await OpenSSL.check(["x509", "-in", directory.path("ca.crt"), "-noout", "-purpose"])
        #expect(purpose.standardOutput.contains("SSL server CA : Yes"), "\(purpose)")
        #expect(authority.certificate.subject.description.contains("runner"))
    }

    @Test("create writes the key with mode 0600 and the certificate with mode 0644")
    func createWritesFilesWithModes() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let certificatePath = directory.path("ca.crt"), keyPath = directory.path("ca.key")
        _ = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: keyPath, hostname: "h")
        #expect(try fileMode(keyPath) == 0o600)
        #expect(try fileMode(certificatePath) == 0o644)
        let key = try String(contentsOfFile: keyPath, encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let certificate = try String(contentsOfFile: certificatePath, encoding: .utf8)
        #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(!certificate.contains("PRIVATE KEY"))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["ca.crt", "ca.key"])
    }

    @Test("create refuses to overwrite an existing key or certificate unless told to")
    func refusesToOverwrite() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let certificatePath = directory.path("ca.crt"), keyPath = directory.path("ca.key")
        _ = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: keyPath, hostname: "h")
        let keyBefore = try String(contentsOfFile: keyPath, encoding: .utf8)

        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: keyPath, hostname: "h")
        }
        #expect(error?.kind == .fileExists)
        #expect(error?.path == keyPath)
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == keyBefore)

        // Only the certificate exists: still refused, and no key is created.
        let lonely = directory.path("other.key")
        let certificateOnly = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: lonely, hostname: "h")
        }
        #expect(certificateOnly?.path == certificatePath)
        #expect(!FileManager.default.fileExists(atPath: lonely))

        let replaced = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: keyPath,
                                                              hostname: "h", overwrite: true)
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8) != keyBefore)
        #expect(try fileMode(keyPath) == 0o600)
        let reloaded = try GatewayCertificateAuthority.load(certificatePath: certificatePath, keyPath: keyPath)
        #expect(reloaded.certificate == replaced.certificate)
    }

    @Test("write gives both files the owner it is asked for before writing")
    func writeWithOwner() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let keyPath = directory.path("ca.key")
        try GatewayCertificateAuthority.generate(hostname: "h").write(
            certificatePath: directory.path("ca.crt"), keyPath: keyPath, owner: (uid: geteuid(), gid: getegid()))
        var status = stat()
        #expect(stat(keyPath, &status) == 0)
        #expect(status.st_uid == geteuid())
        #expect(status.st_gid == getegid())
    }

    @Test("a written CA loads back identically and its key still signs for its certificate")
    func reloadRoundTrip() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let certificatePath = directory.path("ca.crt"), keyPath = directory.path("ca.key")
        let created = try GatewayCertificateAuthority.create(certificatePath: certificatePath, keyPath: keyPath, hostname: "h")
        let loaded = try GatewayCertificateAuthority.load(certificatePath: certificatePath, keyPath: keyPath)
        #expect(loaded.certificate == created.certificate)
        #expect(loaded.subjectKeyIdentifier == created.subjectKeyIdentifier)
        #expect(loaded.keyAlgorithm == .p256)
        #expect(loaded.furtherChain.isEmpty)
        let store = try ServingCertificateStore(authority: loaded)
        let served = try store.servingCertificate(destination: IPAddress("10.0.0.1")!, serverNames: [])
        #expect(created.certificate.publicKey.isValidSignature(served.leaf.signature, for: served.leaf))
    }

    // MARK: Rejected

    @Test("a key that belongs to another certificate is rejected, naming both files")
    func wrongKeyRejected() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let first = try TestCA.root(name: "first").write(to: directory, name: "first")
        let second = try TestCA.root(name: "second").write(to: directory, name: "second")
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: first.certificate, keyPath: second.key)
        }
        #expect(error?.kind == .keyMismatch)
        #expect(error?.description.contains(first.certificate) == true)
        #expect(error?.description.contains(second.key) == true)
        #expect(error?.description.contains("does not belong") == true)
    }

    @Test("a certificate that is not a CA is rejected: CA:FALSE, or no basicConstraints at all")
    func nonCARejected() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let root = try TestCA.root()
        let leaf = try root.issue(name: "kubernetes") { _ in
            try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
            }
        }
        let leafFiles = try leaf.write(to: directory, name: "leaf")
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: leafFiles.certificate, keyPath: leafFiles.key)
        }
        #expect(error?.kind == .notCertificateAuthority)
        #expect(error?.path == leafFiles.certificate)
        #expect(error?.message.contains("CA:FALSE") == true)

        let bare = try root.issue(name: "bare") { _ in Certificate.Extensions() }
        let bareFiles = try bare.write(to: directory, name: "bare")
        let bareError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: bareFiles.certificate, keyPath: bareFiles.key)
        }
        #expect(bareError?.kind == .notCertificateAuthority)
        #expect(bareError?.message.contains("no basicConstraints") == true)
    }

    @Test("a CA whose keyUsage lacks keyCertSign, or whose extendedKeyUsage excludes serverAuth, is rejected")
    func caThatCannotSignRejected() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let root = try TestCA.root()
        let noCertSign = try root.issue(name: "no-cert-sign") { publicKey in
            try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
        }.write(to: directory, name: "no-cert-sign")
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: noCertSign.certificate, keyPath: noCertSign.key)
        }
        #expect(error?.kind == .notCertificateAuthority)
        #expect(error?.message.contains("keyCertSign") == true)

        let clientOnly = try root.issue(name: "client-only") { _ in
            try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
                try ExtendedKeyUsage([.clientAuth])
            }
        }.write(to: directory, name: "client-only")
        let ekuError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: clientOnly.certificate, keyPath: clientOnly.key)
        }
        #expect(ekuError?.kind == .notCertificateAuthority)
        #expect(ekuError?.message.contains("serverAuth") == true)
    }

    @Test("a key file readable by group or others is rejected, with its mode in the message; 0400 and 0600 pass")
    func insecureKeyModeRejected() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let files = try TestCA.root().write(to: directory, name: "ca")
        for mode: mode_t in [0o640, 0o604, 0o660, 0o644] {
            try changeMode(files.key, mode)
            let error = #expect(throws: TLSCertificateError.self) {
                _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: files.key)
            }
            #expect(error?.kind == .insecureKeyFile)
            #expect(error?.path == files.key)
            #expect(error?.message.contains("mode 0" + String(mode, radix: 8)) == true, "\(String(describing: error))")
        }
        for mode: mode_t in [0o400, 0o600] {
            try changeMode(files.key, mode)
            _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: files.key)
        }
    }

    @Test("a key file owned by another user is rejected",
          .enabled(if: Privileges.shouldRunRootTests, "\(Privileges.rootRequiredMessage) (chown)"))
    func keyOwnedByAnotherUserRejected() throws {
        try Privileges.requireRoot()
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let files = try TestCA.root().write(to: directory, name: "ca")
        #expect(chown(files.key, 65_534, 65_534) == 0)
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: files.key)
        }
        #expect(error?.kind == .insecureKeyFile)
        #expect(error?.message.contains("owned by uid 65534") == true, "\(String(describing: error))")
    }

    @Test("a CA that has expired or is not yet valid is rejected")
    func validityChecked() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let expired = try TestCA.root(notValidBefore: Date().addingTimeInterval(-10 * 86_400),
                                      notValidAfter: Date().addingTimeInterval(-86_400)).write(to: directory, name: "expired")
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: expired.certificate, keyPath: expired.key)
        }
        #expect(error?.kind == .notValidNow)
        #expect(error?.message.contains("expired") == true)

        let current = try TestCA.root().write(to: directory, name: "current")
        let early = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: current.certificate, keyPath: current.key,
                                                     now: Date().addingTimeInterval(-2 * 86_400))
        }
        #expect(early?.kind == .notValidNow)
        #expect(early?.message.contains("not valid until") == true)
    }

    @Test("the chain after the CA certificate must be its issuers, in order")
    func chainOrderChecked() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let root = try TestCA.root()
        let intermediate = try root.intermediate()
        let good = try intermediate.write(to: directory, name: "good", chain: [root])
        let loaded = try GatewayCertificateAuthority.load(certificatePath: good.certificate, keyPath: good.key)
        #expect(loaded.furtherChain == [root.certificate])
        #expect(try loaded.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))

        // Root first: the key belongs to the second certificate.
        let reversed = try directory.write(root.pem + intermediate.pem, to: "reversed.crt")
        let orderError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: reversed, keyPath: good.key)
        }
        #expect(orderError?.kind == .keyMismatch)
        #expect(orderError?.message.contains("certificate 2") == true)

        // A stranger after the CA certificate.
        let stranger = try TestCA.root(name: "stranger")
        let broken = try directory.write(intermediate.pem + stranger.pem, to: "broken.crt")
        let chainError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: broken, keyPath: good.key)
        }
        #expect(chainError?.kind == .brokenChain)
    }

    @Test("files that are not what they should be are rejected, naming the file")
    func malformedFilesRejected() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let files = try TestCA.root().write(to: directory, name: "ca")
        let empty = try directory.write("not a pem file\n", to: "empty.crt")
        let emptyError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: empty, keyPath: files.key)
        }
        #expect(emptyError?.kind == .invalidCertificate)
        #expect(emptyError?.path == empty)

        // The key pasted into the certificate file.
        let keyInCertificate = try directory.write(try String(contentsOfFile: files.certificate, encoding: .utf8)
            + (try String(contentsOfFile: files.key, encoding: .utf8)), to: "with-key.crt")
        let pastedError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: keyInCertificate, keyPath: files.key)
        }
        #expect(pastedError?.kind == .invalidCertificate)
        #expect(pastedError?.message.contains("keep the key only in the key file") == true)

        let missing = directory.path("missing.key")
        let missingError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: missing)
        }
        #expect(missingError?.kind == .unreadableFile)
        #expect(missingError?.path == missing)

        let certificateAsKey = try directory.write(try String(contentsOfFile: files.certificate, encoding: .utf8), to: "cert-as.key")
        try changeMode(certificateAsKey, 0o600)
        let keyError = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: certificateAsKey)
        }
        #expect(keyError?.kind == .invalidKey)
    }

    // MARK: Keys made by openssl

    @Test("operator CAs made with openssl load: RSA 2048 (PKCS#1) and P-384 (SEC1), both pathLen 0 intermediates")
    func opensslMadeCAsLoad() async throws {
        let rsaDirectory = try TemporaryDirectory.create(purpose: "tls-rsa")
        defer { rsaDirectory.remove() }
        let rsa = try await OpenSSLCluster.make(in: rsaDirectory, traditionalKey: true)
        #expect(try String(contentsOfFile: rsa.intermediateKey, encoding: .utf8).contains("BEGIN RSA PRIVATE KEY"))
        let rsaCA = try GatewayCertificateAuthority.load(certificatePath: rsa.intermediateCertificate, keyPath: rsa.intermediateKey)
        #expect(rsaCA.keyAlgorithm == .rsa(bits: 2048))
        #expect(rsaCA.keyAlgorithm.signatureAlgorithm == .sha256WithRSAEncryption)

        let ecDirectory = try TemporaryDirectory.create(purpose: "tls-p384")
        defer { ecDirectory.remove() }
        let ec = try await OpenSSLCluster.make(in: ecDirectory, root: OpenSSLCluster.p384, intermediate: OpenSSLCluster.p384,
                                               traditionalKey: true)
        #expect(try String(contentsOfFile: ec.intermediateKey, encoding: .utf8).contains("BEGIN EC PRIVATE KEY"))
        let ecCA = try GatewayCertificateAuthority.load(certificatePath: ec.intermediateCertificate, keyPath: ec.intermediateKey)
        #expect(ecCA.keyAlgorithm == .p384)
        #expect(ecCA.keyAlgorithm.signatureAlgorithm == .ecdsaWithSHA384)
    }

    @Test("weak or unsupported keys are refused: RSA 1024, P-521, Ed25519, and encrypted keys")
    func unsupportedKeysRefused() async throws {
        let cases: [(arguments: [String], expected: String)] = [
            (["-newkey", "rsa:1024"], "RSA key with 1024 bits"),
            (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], "P-521"),
            (["-newkey", "ed25519"], "Ed25519"),
        ]
        for (arguments, expected) in cases {
            let directory = try TemporaryDirectory.create(purpose: "tls-weak")
            defer { directory.remove() }
            let certificate = directory.path("ca.crt"), key = directory.path("ca.key")
            try await OpenSSL.check(["req", "-x509"] + arguments + [
                "-nodes", "-keyout", key, "-out", certificate, "-days", "3", "-subj", "/CN=weak",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
            try changeMode(key, 0o600)
            let error = #expect(throws: TLSCertificateError.self) {
                _ = try GatewayCertificateAuthority.load(certificatePath: certificate, keyPath: key)
            }
            #expect(error?.kind == .unsupportedKey, "\(String(describing: error))")
            #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        }

        let directory = try TemporaryDirectory.create(purpose: "tls-encrypted")
        defer { directory.remove() }
        let files = try TestCA.root().write(to: directory, name: "ca")
        let encrypted = directory.path("encrypted.key")
        try await OpenSSL.check(["pkey", "-in", files.key, "-aes256", "-passout", "pass:secret", "-out", encrypted])
        try changeMode(encrypted, 0o600)
        let error = #expect(throws: TLSCertificateError.self) {
            _ = try GatewayCertificateAuthority.load(certificatePath: files.certificate, keyPath: encrypted)
        }
        #expect(error?.kind == .invalidKey)
        #expect(error?.message.contains("encrypted") == true)
    }

    // MARK: Secrecy

    @Test("printing, dumping or describing the CA never shows the key")
    func keyNeverPrinted() throws {
        let directory = try TemporaryDirectory.create(purpose: "tls-ca")
        defer { directory.remove() }
        let keyPath = directory.path("ca.key")
        let authority = try GatewayCertificateAuthority.create(certificatePath: directory.path("ca.crt"), keyPath: keyPath,
                                                               hostname: "h")
        let keyPEM = try String(contentsOfFile: keyPath, encoding: .utf8)
        let keyBody = keyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let privateScalar = try P256.Signing.PrivateKey(pemRepresentation: keyPEM).rawRepresentation
        let scalarHex = privateScalar.map { String(format: "%02x", $0) }.joined()
        var dumped = ""
        dump(authority, to: &dumped)
        let texts = [String(describing: authority), String(reflecting: authority), dumped, "\(authority)"]
        for text in texts {
            #expect(!text.contains(keyBody.prefix(40)))
            #expect(!text.lowercased().contains(scalarHex))
            #expect(!text.contains("PRIVATE KEY"))
            #expect(!text.lowercased().contains(scalarHex.prefix(16)))
        }
        #expect(!dumped.contains("privateKey"), "reflection must not reach the key field")
        #expect(dumped.contains("certificate"))
    }
}
