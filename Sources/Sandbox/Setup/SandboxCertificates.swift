import Crypto
import Foundation
import SwiftASN1
import X509

/// The sandbox's CA (created once, kept in the data directory) and the serving certificate it
/// signs at every start. Keys are P-256 and written with mode 0600.
public struct SandboxCertificates: Sendable {
    public var caCertificatePEM: String
    public var servingCertificatePEM: String
    public var servingKeyPEM: String

    public static let caFile = "ca.crt", caKeyFile = "ca.key", servingFile = "server.crt", servingKeyFile = "server.key"

    /// Loads the CA from `directory` or creates it, then mints a serving certificate for `names`
    /// (DNS names and IP literals), valid for a year.
    public static func prepare(directory: String, names: [String]) throws -> SandboxCertificates {
        let (caCertificate, caKey) = try loadOrCreateCA(directory: directory)
        let servingKey = P256.Signing.PrivateKey()
        let now = Date()
        let serving = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(servingKey.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: caCertificate.subject,
            subject: try DistinguishedName { CommonName("portcullis-sandbox-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(subjectAlternativeNames(names))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: caCertificate.publicKey).keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))
        let result = SandboxCertificates(caCertificatePEM: try caCertificate.serializeAsPEM().pemString,
                                         servingCertificatePEM: try serving.serializeAsPEM().pemString,
                                         servingKeyPEM: servingKey.pemRepresentation)
        try SecretFile.write(result.servingCertificatePEM, to: directory + "/" + servingFile, mode: 0o644)
        try SecretFile.write(result.servingKeyPEM, to: directory + "/" + servingKeyFile, mode: 0o600)
        return result
    }

    private static func loadOrCreateCA(directory: String) throws -> (Certificate, P256.Signing.PrivateKey) {
        let certPath = directory + "/" + caFile, keyPath = directory + "/" + caKeyFile
        if FileManager.default.fileExists(atPath: certPath), FileManager.default.fileExists(atPath: keyPath) {
            do {
                let certificate = try Certificate(pemEncoded: try String(contentsOfFile: certPath, encoding: .utf8))
                let key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: keyPath, encoding: .utf8))
                return (certificate, key)
            } catch {
                throw SandboxSetupError("cannot read the sandbox CA from \(certPath) and \(keyPath): \(error)")
            }
        }
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Portcullis")
            CommonName("portcullis-sandbox-ca")
        }
        let now = Date()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        try SecretFile.write(key.pemRepresentation, to: keyPath, mode: 0o600)
        try SecretFile.write(try certificate.serializeAsPEM().pemString, to: certPath, mode: 0o644)
        return (certificate, key)
    }

    static func subjectAlternativeNames(_ names: [String]) -> [GeneralName] {
        var seen = Set<String>()
        return names.compactMap { name in
            guard seen.insert(name).inserted else { return nil }
            if let bytes = IPAddressBytes.parse(name) {
                return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
            }
            return .dnsName(name)
        }
    }
}

/// IPv4 and IPv6 literals as the bytes an IP SAN holds.
enum IPAddressBytes {
    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
