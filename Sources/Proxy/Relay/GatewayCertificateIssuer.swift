import Crypto
import Foundation
import SwiftASN1
import X509

/// Issues a gateway's client certificate from a relay's CA (`portcullis relay enroll NAME`).
///
/// The certificate: a fresh P-256 key; subject O=Portcullis gateway, CN=NAME (the name the relay
/// records with every request the gateway forwards); basicConstraints CA:FALSE and keyUsage
/// digitalSignature (both critical); extendedKeyUsage clientAuth only, so it can never serve as a
/// relay's (or anyone's) server certificate; authorityKeyIdentifier = the CA's; a random serial.
/// Valid from five minutes before `now` for `lifetime`, clamped to the CA's validity.
public enum GatewayCertificateIssuer {
    /// One year.
    public static let defaultLifetime: TimeInterval = 365 * 86_400

    /// What enrolment hands the gateway's operator. The key is in ``keyPEM`` only, and never shown
    /// by `description` or reflection.
    public struct Issued: Sendable, CustomStringConvertible, CustomReflectable {
        public let certificate: Certificate
        public let certificatePEM: String
        public let keyPEM: String
        public let enrolment: GatewayEnrolment

        public var description: String { "Issued(\(enrolment.name), serial \(enrolment.serial))" }
        public var customMirror: Mirror { Mirror(self, children: ["enrolment": enrolment], displayStyle: .struct) }
    }

    /// Why a name cannot be a gateway's, or nil when it can: 1 to 64 characters, letters, digits,
    /// `.`, `_` and `-`, starting with a letter or digit (it becomes a certificate's common name and
    /// appears in records, file names and Status messages).
    public static func problem(name: String) -> String? {
        guard (1...64).contains(name.utf8.count) else { return "a gateway name has 1 to 64 characters" }
        func isLetterOrDigit(_ s: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
        }
        guard let first = name.unicodeScalars.first, isLetterOrDigit(first) else { return "a gateway name starts with a letter or a digit" }
        let allowed = name.unicodeScalars.allSatisfy { isLetterOrDigit($0) || $0 == "." || $0 == "_" || $0 == "-" }
        return allowed ? nil : "a gateway name has only letters, digits, '.', '_' and '-'"
    }

    public static func issue(name: String, authority: GatewayCertificateAuthority, lifetime: TimeInterval = defaultLifetime,
                             now: Date = Date()) throws(TLSCertificateError) -> Issued {
        if let problem = problem(name: name) { throw TLSCertificateError(.minting, "cannot enrol '\(name)': \(problem)") }
        let ca = authority.certificate
        guard now >= ca.notValidBefore, now <= ca.notValidAfter else {
            throw TLSCertificateError(.notValidNow, "cannot enrol \(name): the relay CA (subject \(ca.subject)) "
                                      + (now < ca.notValidBefore ? "is not valid until \(ca.notValidBefore)" : "expired at \(ca.notValidAfter)"))
        }
        let key = P256.Signing.PrivateKey()
        let notAfter = min(now.addingTimeInterval(lifetime), ca.notValidAfter)
        let certificate: Certificate
        let der: [UInt8]
        do {
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: max(now.addingTimeInterval(-300), ca.notValidBefore), notValidAfter: notAfter,
                issuer: ca.subject,
                subject: try DistinguishedName {
                    OrganizationName("Portcullis gateway")
                    CommonName(name)
                },
                signatureAlgorithm: authority.keyAlgorithm.signatureAlgorithm,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.clientAuth])
                    AuthorityKeyIdentifier(keyIdentifier: authority.subjectKeyIdentifier)
                },
                issuerPrivateKey: authority.privateKey)
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            der = serializer.serializedBytes
        } catch {
            throw TLSCertificateError(.minting, "cannot issue a certificate for the gateway \(name): \(error)")
        }
        let certificatePEM: String, keyPEM: String
        do {
            certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
            keyPEM = key.pemRepresentation + "\n"
        } catch {
            throw TLSCertificateError(.minting, "cannot encode the certificate for the gateway \(name): \(error)")
        }
        let fingerprint = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
        let enrolment = GatewayEnrolment(name: name, serial: certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined(),
                                         fingerprint: fingerprint, issuedAt: RFC3339.text(now), notValidAfter: RFC3339.text(notAfter))
        return Issued(certificate: certificate, certificatePEM: certificatePEM, keyPEM: keyPEM, enrolment: enrolment)
    }
}

/// `2026-05-01T12:00:00Z`.
enum RFC3339 {
    static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
