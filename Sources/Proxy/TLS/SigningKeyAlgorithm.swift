import Crypto
import SwiftASN1
import X509

/// The kinds of key the gateway CA may sign with, and the signature algorithm each one uses.
///
/// Only P-256, P-384 and RSA of at least 2048 bits are accepted: every client the gateway serves
/// (Go's crypto/x509, OpenSSL, BoringSSL) verifies them, and they are what cluster CAs use.
public enum SigningKeyAlgorithm: Sendable, Equatable, CustomStringConvertible {
    case p256
    case p384
    case rsa(bits: Int)

    /// RSA moduli shorter than this are refused.
    public static let minimumRSABits = 2048

    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]

    /// The algorithm of `publicKey`, or a `.unsupportedKey` error naming `path`.
    init(_ publicKey: Certificate.PublicKey, path: String) throws(TLSCertificateError) {
        if P256.Signing.PublicKey(publicKey) != nil {
            self = .p256
        } else if P384.Signing.PublicKey(publicKey) != nil {
            self = .p384
        } else if let bits = Self.rsaModulusBits(publicKey) {
            guard bits >= Self.minimumRSABits else {
                throw TLSCertificateError(.unsupportedKey, path: path,
                    "the key is RSA with \(bits) bits; at least \(Self.minimumRSABits) are required")
            }
            self = .rsa(bits: bits)
        } else {
            throw TLSCertificateError(.unsupportedKey, path: path,
                "the key is \(Self.name(of: publicKey)); the gateway CA key must be P-256, P-384 or RSA (2048 bits or more)")
        }
    }

    /// The signature algorithm of certificates this key signs.
    public var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch self {
        case .p256: .ecdsaWithSHA256
        case .p384: .ecdsaWithSHA384
        case .rsa: .sha256WithRSAEncryption
        }
    }

    public var description: String {
        switch self {
        case .p256: "P-256"
        case .p384: "P-384"
        case .rsa(let bits): "RSA \(bits)"
        }
    }

    /// "P-521", "Ed25519" or the key's own description, for messages.
    private static func name(of key: Certificate.PublicKey) -> String {
        if P521.Signing.PublicKey(key) != nil { return "P-521" }
        if Curve25519.Signing.PublicKey(key) != nil { return "Ed25519" }
        return String(describing: key)
    }

    /// The modulus length of an RSA key, or `nil` when `key` is not RSA.
    static func rsaModulusBits(_ key: Certificate.PublicKey) -> Int? {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(key)
            return rsaModulusBits(subjectPublicKeyInfo: try DER.parse(serializer.serializedBytes))
        } catch {
            return nil
        }
    }

    /// The modulus length of the RSA key in a DER certificate that swift-certificates cannot parse
    /// (swift-crypto refuses RSA keys under 2048 bits), or `nil` when its key is not RSA or the
    /// certificate is malformed in another way. Only for a clearer error message.
    static func rsaModulusBits(certificateDER der: [UInt8]) -> Int? {
        guard let certificate = try? DER.parse(der),
              let tbs = children(certificate).first
        else { return nil }
        var fields = children(tbs)
        // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki.
        if fields.first?.identifier.tagClass == .contextSpecific { fields.removeFirst() }
        guard fields.count > 5 else { return nil }
        return rsaModulusBits(subjectPublicKeyInfo: fields[5])
    }

    /// Reads the algorithm OID of a SubjectPublicKeyInfo and, for rsaEncryption, the modulus of the
    /// RSAPublicKey (`SEQUENCE { modulus INTEGER, publicExponent INTEGER }`) in its BIT STRING.
    private static func rsaModulusBits(subjectPublicKeyInfo spki: ASN1Node) -> Int? {
        let parts = children(spki)
        guard parts.count == 2,
              let oidNode = children(parts[0]).first,
              (try? ASN1ObjectIdentifier(derEncoded: oidNode)) == rsaEncryption,
              let bits = try? ASN1BitString(derEncoded: parts[1]),
              let rsaKey = try? DER.parse(bits.bytes),
              let modulus = children(rsaKey).first,
              modulus.identifier == .integer,
              case .primitive(let bytes) = modulus.content
        else { return nil }
        return bitLength(bytes)
    }

    private static func children(_ node: ASN1Node) -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else { return [] }
        return Array(nodes)
    }

    /// The number of significant bits of a big-endian unsigned integer.
    static func bitLength(_ bytes: ArraySlice<UInt8>) -> Int {
        guard let first = bytes.firstIndex(where: { $0 != 0 }) else { return 0 }
        let leading = bytes[first]
        return (bytes.endIndex - first - 1) * 8 + (8 - leading.leadingZeroBitCount)
    }
}
