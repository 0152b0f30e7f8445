import Crypto
import Foundation
import SwiftASN1
import X509

/// The CA that signs the serving certificates the gateway presents to agents.
///
/// It is either generated (``generate(hostname:validity:now:)``, written by ``write(certificatePath:keyPath:overwrite:owner:)``;
/// `portcullis init` does both) or supplied by the operator and read by
/// ``load(certificatePath:keyPath:now:)``. An operator-supplied CA is typically an intermediate
/// signed by the cluster's own CA, so that kubeconfigs which already trust the cluster CA keep working;
/// its certificate file may carry the rest of the chain after the CA certificate.
///
/// Invariants:
/// - `certificate` is a CA certificate (basicConstraints CA:TRUE, keyCertSign if keyUsage is present)
///   whose public key is the public key of the signing key, and its key is P-256, P-384 or RSA 2048+.
/// - `furtherChain[0]` (if any) issued `certificate`, `furtherChain[1]` issued `furtherChain[0]`, and so on.
/// - The private key never leaves this value except through ``write(certificatePath:keyPath:overwrite:owner:)``:
///   `description`, `debugDescription` and reflection (`dump`, `print`) show the certificate only.
public struct GatewayCertificateAuthority: Sendable {
    /// The CA certificate that signs serving certificates.
    public let certificate: Certificate
    /// The certificates above `certificate` that the operator supplied with it (intermediates, and
    /// possibly the root), served after it. Empty for a generated CA.
    public let furtherChain: [Certificate]
    /// The kind of the signing key.
    public let keyAlgorithm: SigningKeyAlgorithm
    /// The key identifier that serving certificates carry as their authority key identifier: the
    /// CA certificate's subject key identifier, or the SHA-1 of its public key when it has none.
    public let subjectKeyIdentifier: ArraySlice<UInt8>
    let privateKey: Certificate.PrivateKey

    /// Ten years.
    public static let defaultValidity: TimeInterval = 3_652 * 86_400
    /// How far a generated CA's validity starts before its creation, for clocks slightly behind.
    static let backdating: TimeInterval = 3_600

    init(certificate: Certificate, furtherChain: [Certificate], privateKey: Certificate.PrivateKey,
         keyAlgorithm: SigningKeyAlgorithm) {
        self.certificate = certificate
        self.furtherChain = furtherChain
        self.privateKey = privateKey
        self.keyAlgorithm = keyAlgorithm
        let declared = try? certificate.extensions.subjectKeyIdentifier
        self.subjectKeyIdentifier = declared?.keyIdentifier ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// The certificates served after a leaf: the CA certificate, then `furtherChain`.
    public var chain: [Certificate] { [certificate] + furtherChain }

    /// The CA certificate followed by `furtherChain`, as PEM. This is what the certificate file holds,
    /// and what a client may be given as its trust anchor for a generated CA.
    public func certificatePEM() throws(TLSCertificateError) -> String {
        do {
            return try chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n"
        } catch {
            throw TLSCertificateError(.invalidCertificate, "cannot encode the CA certificate as PEM: \(error)")
        }
    }

    // MARK: Generating

    /// A new self-signed CA with a fresh P-256 key: CA:TRUE (critical) with path length 0 (it signs
    /// only leaves), keyUsage keyCertSign and cRLSign (critical), a subject key identifier, valid from
    /// an hour before `now` for `validity`. Its subject is O=Portcullis, CN=Portcullis gateway CA <hostname>.
    ///
    /// - Parameter hostname: the host's name for the subject; `nil` reads it with gethostname(2).
    public static func generate(hostname: String? = nil, validity: TimeInterval = defaultValidity,
                                now: Date = Date()) throws(TLSCertificateError) -> GatewayCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName {
                OrganizationName("Portcullis")
                CommonName(commonName(hostname: hostname ?? Self.hostname()))
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-backdating), notValidAfter: now.addingTimeInterval(validity),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return GatewayCertificateAuthority(certificate: certificate, furtherChain: [],
                                               privateKey: Certificate.PrivateKey(key), keyAlgorithm: .p256)
        } catch {
            throw TLSCertificateError(.minting, "cannot create the gateway CA certificate: \(error)")
        }
    }

    /// Generates a CA (as ``generate(hostname:validity:now:)``) and writes it (as
    /// ``write(certificatePath:keyPath:overwrite:owner:)``).
    public static func create(certificatePath: String, keyPath: String, hostname: String? = nil,
                              validity: TimeInterval = defaultValidity, overwrite: Bool = false,
                              owner: (uid: uid_t, gid: gid_t)? = nil,
                              now: Date = Date()) throws(TLSCertificateError) -> GatewayCertificateAuthority {
        let authority = try generate(hostname: hostname, validity: validity, now: now)
        try authority.write(certificatePath: certificatePath, keyPath: keyPath, overwrite: overwrite, owner: owner)
        return authority
    }

    /// "Portcullis gateway CA <hostname>", cut to the 64 characters X.520 allows a common name.
    static func commonName(hostname: String) -> String {
        let base = "Portcullis gateway CA"
        let host = hostname.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !host.isEmpty else { return base }
        return String((base + " " + host).prefix(64))
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Writing

    /// Writes the certificate (followed by `furtherChain`) to `certificatePath` with mode 0644 and the
    /// key, as PKCS#8 PEM, to `keyPath` with mode 0600. Each file has its final mode, and `owner` if
    /// given, before any byte is written.
    ///
    /// Without `overwrite`, refuses (`.fileExists`) when either file already exists, and writes neither.
    /// If writing the certificate fails after the key was written, the new key file is removed again.
    public func write(certificatePath: String, keyPath: String, overwrite: Bool = false,
                      owner: (uid: uid_t, gid: gid_t)? = nil) throws(TLSCertificateError) {
        if !overwrite {
            for path in [keyPath, certificatePath] where TLSFiles.exists(path) {
                throw TLSCertificateError(.fileExists, path: path,
                    "already exists; refusing to overwrite the gateway CA (pass overwrite to replace it)")
            }
        }
        let keyPEM: String
        do {
            keyPEM = try privateKey.serializeAsPEM().pemString + "\n"
        } catch {
            throw TLSCertificateError(.invalidKey, path: keyPath, "cannot encode the CA key as PEM")
        }
        let certificateText = try certificatePEM()
        try TLSFiles.write(keyPEM, to: keyPath, mode: 0o600, overwrite: overwrite, owner: owner)
        do {
            try TLSFiles.write(certificateText, to: certificatePath, mode: 0o644, overwrite: overwrite, owner: owner)
        } catch {
            if !overwrite { unlink(keyPath) }
            throw error
        }
    }
}

extension GatewayCertificateAuthority: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The subject, key kind, expiry and key identifier; never the key.
    public var description: String {
        let identifier = subjectKeyIdentifier.map { String(format: "%02x", $0) }
        return "GatewayCertificateAuthority(subject: \(certificate.subject), key: \(keyAlgorithm), "
            + "notValidAfter: \(certificate.notValidAfter), subjectKeyIdentifier: \(identifier.joined(separator: ":")), "
            + "furtherChain: \(furtherChain.count) certificate(s))"
    }

    public var debugDescription: String { description }

    /// Reflection shows the certificates and the key kind, never the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["certificate": certificate, "furtherChain": furtherChain, "keyAlgorithm": keyAlgorithm],
               displayStyle: .struct)
    }
}
