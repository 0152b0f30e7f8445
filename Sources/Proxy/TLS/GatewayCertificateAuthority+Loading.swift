import Foundation
import SwiftASN1
import X509

extension GatewayCertificateAuthority {
    /// Reads an operator-supplied (or previously generated) CA and checks that it can sign the
    /// gateway's serving certificates.
    ///
    /// - `certificatePath`: PEM; the CA certificate first, optionally followed by the certificates
    ///   above it (its issuer, that one's issuer, ...), which are then served after it.
    /// - `keyPath`: PEM; PKCS#8, SEC1 (EC) or PKCS#1 (RSA), unencrypted; P-256, P-384 or RSA 2048+.
    ///   It must be a regular file owned by the effective user with mode 0600 or stricter.
    ///
    /// Checks, each failing with an error that names the file and what is wrong: the key file's owner
    /// and mode; that the key belongs to the first certificate; that the certificate is a CA
    /// (basicConstraints CA:TRUE; any path length, 0 included) allowed to sign certificates (keyUsage,
    /// when present, has keyCertSign) and to vouch for servers (extendedKeyUsage, when present, allows
    /// serverAuth); that it is valid at `now`; and that each further certificate issued the one before.
    public static func load(certificatePath: String, keyPath: String,
                            now: Date = Date()) throws(TLSCertificateError) -> GatewayCertificateAuthority {
        let certificates = try readCertificates(certificatePath)
        let privateKey = try readPrivateKey(keyPath)
        guard let certificate = certificates.first else {
            throw TLSCertificateError(.invalidCertificate, path: certificatePath, "holds no certificate")
        }
        try checkKey(privateKey, belongsTo: certificates, certificatePath: certificatePath, keyPath: keyPath)
        let algorithm = try SigningKeyAlgorithm(certificate.publicKey, path: keyPath)
        try checkIsCertificateAuthority(certificate, path: certificatePath)
        try checkValidity(certificate, at: now, path: certificatePath)
        try checkChain(certificates, path: certificatePath)
        return GatewayCertificateAuthority(certificate: certificate, furtherChain: Array(certificates.dropFirst()),
                                           privateKey: privateKey, keyAlgorithm: algorithm)
    }

    // MARK: Reading

    static func readCertificates(_ path: String) throws(TLSCertificateError) -> [Certificate] {
        let text = try TLSFiles.readText(path)
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw TLSCertificateError(.invalidCertificate, path: path, "is not a valid PEM file: \(error)")
        }
        guard !documents.isEmpty else {
            throw TLSCertificateError(.invalidCertificate, path: path, "holds no PEM CERTIFICATE block")
        }
        var certificates: [Certificate] = []
        for (index, document) in documents.enumerated() {
            guard document.discriminator == "CERTIFICATE" else {
                let hint = document.discriminator.hasSuffix("PRIVATE KEY") ? "; keep the key only in the key file" : ""
                throw TLSCertificateError(.invalidCertificate, path: path,
                    "PEM block \(index + 1) is a \(document.discriminator), not a CERTIFICATE\(hint)")
            }
            do {
                certificates.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                if let bits = SigningKeyAlgorithm.rsaModulusBits(certificateDER: document.derBytes),
                   bits < SigningKeyAlgorithm.minimumRSABits {
                    throw TLSCertificateError(.unsupportedKey, path: path,
                        "certificate \(index + 1) in the file has an RSA key with \(bits) bits; "
                        + "at least \(SigningKeyAlgorithm.minimumRSABits) are required")
                }
                throw TLSCertificateError(.invalidCertificate, path: path,
                    "certificate \(index + 1) in the file cannot be parsed: \(error)")
            }
        }
        return certificates
    }

    static func readPrivateKey(_ path: String) throws(TLSCertificateError) -> Certificate.PrivateKey {
        let text = try TLSFiles.readKey(path)
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw TLSCertificateError(.invalidKey, path: path, "is not a valid PEM file")
        }
        if documents.contains(where: { $0.discriminator == "ENCRYPTED PRIVATE KEY" })
            || text.contains("Proc-Type: 4,ENCRYPTED") {
            throw TLSCertificateError(.invalidKey, path: path,
                "the private key is encrypted; give the gateway an unencrypted key (openssl pkey -in ENCRYPTED -out \(path))")
        }
        let keys = documents.filter { $0.discriminator.hasSuffix("PRIVATE KEY") }
        guard keys.count == 1, let document = keys.first else {
            throw TLSCertificateError(.invalidKey, path: path, keys.isEmpty
                ? "holds no PEM PRIVATE KEY block (PKCS#8, EC or RSA)"
                : "holds \(keys.count) private keys; it must hold exactly one")
        }
        do {
            return try Certificate.PrivateKey(pemDocument: document)
        } catch {
            throw TLSCertificateError(.invalidKey, path: path,
                "cannot parse the \(document.discriminator) block (only P-256, P-384 and RSA keys are supported): \(error)")
        }
    }

    // MARK: Checks

    static func checkKey(_ key: Certificate.PrivateKey, belongsTo certificates: [Certificate],
                         certificatePath: String, keyPath: String) throws(TLSCertificateError) {
        guard let first = certificates.first, key.publicKey != first.publicKey else { return }
        if let index = certificates.firstIndex(where: { $0.publicKey == key.publicKey }) {
            throw TLSCertificateError(.keyMismatch, path: certificatePath,
                "the key in \(keyPath) belongs to certificate \(index + 1) in this file, not to the first; "
                + "put the CA certificate first, followed by its issuers")
        }
        throw TLSCertificateError(.keyMismatch, path: keyPath,
            "this private key does not belong to the certificate in \(certificatePath) (subject \(first.subject))")
    }

    static func checkIsCertificateAuthority(_ certificate: Certificate, path: String) throws(TLSCertificateError) {
        let subject = "the certificate (subject \(certificate.subject))"
        let constraints: BasicConstraints?
        let keyUsage: KeyUsage?
        let extendedKeyUsage: ExtendedKeyUsage?
        do {
            constraints = try certificate.extensions.basicConstraints
            keyUsage = try certificate.extensions.keyUsage
            extendedKeyUsage = try certificate.extensions.extendedKeyUsage
        } catch {
            throw TLSCertificateError(.invalidCertificate, path: path, "\(subject) has a malformed extension: \(error)")
        }
        switch constraints {
        case .isCertificateAuthority:
            break
        case .notCertificateAuthority:
            throw TLSCertificateError(.notCertificateAuthority, path: path,
                "\(subject) is not a CA: its basicConstraints say CA:FALSE")
        case nil:
            throw TLSCertificateError(.notCertificateAuthority, path: path,
                "\(subject) is not a CA: it has no basicConstraints extension with CA:TRUE")
        }
        if let keyUsage, !keyUsage.keyCertSign {
            throw TLSCertificateError(.notCertificateAuthority, path: path,
                "\(subject) may not sign certificates: its keyUsage (\(keyUsage)) lacks keyCertSign")
        }
        if let extendedKeyUsage, !extendedKeyUsage.contains(.serverAuth), !extendedKeyUsage.contains(.any) {
            throw TLSCertificateError(.notCertificateAuthority, path: path,
                "\(subject) may not vouch for servers: its extendedKeyUsage (\(extendedKeyUsage)) lacks serverAuth, "
                + "so clients would reject every certificate it signs")
        }
    }

    static func checkValidity(_ certificate: Certificate, at now: Date, path: String) throws(TLSCertificateError) {
        if now < certificate.notValidBefore {
            throw TLSCertificateError(.notValidNow, path: path,
                "the certificate (subject \(certificate.subject)) is not valid until \(certificate.notValidBefore)")
        }
        if now > certificate.notValidAfter {
            throw TLSCertificateError(.notValidNow, path: path,
                "the certificate (subject \(certificate.subject)) expired at \(certificate.notValidAfter)")
        }
    }

    static func checkChain(_ certificates: [Certificate], path: String) throws(TLSCertificateError) {
        for index in certificates.indices.dropLast() {
            let child = certificates[index], parent = certificates[index + 1]
            guard child.issuer == parent.subject,
                  parent.publicKey.isValidSignature(child.signature, for: child)
            else {
                throw TLSCertificateError(.brokenChain, path: path,
                    "certificate \(index + 2) (subject \(parent.subject)) did not issue certificate \(index + 1) "
                    + "(issuer \(child.issuer)); after the CA certificate, list its issuer, then that one's issuer")
            }
        }
    }
}
