/// Why the gateway CA could not be created, written or loaded, or why a serving certificate could
/// not be minted.
///
/// Invariant: `message` never holds key material. It names the file (`path`) when there is one and
/// says what is wrong with it in words an operator can act on.
public struct TLSCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers and tests that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// A file could not be opened, read or written.
        case unreadableFile
        /// The key file's mode or owner is unsafe (not 0600 or stricter, or owned by another user).
        case insecureKeyFile
        /// A file to be created already exists and overwriting was not asked for.
        case fileExists
        /// The certificate file holds no certificate, or one that cannot be parsed.
        case invalidCertificate
        /// The key file holds no usable private key.
        case invalidKey
        /// The key is of a kind the gateway does not sign with (only P-256, P-384 and RSA 2048+).
        case unsupportedKey
        /// The private key does not belong to the certificate.
        case keyMismatch
        /// The certificate is not a CA that may sign server certificates.
        case notCertificateAuthority
        /// The certificate is expired or not yet valid.
        case notValidNow
        /// The further certificates after the CA certificate do not form a chain above it.
        case brokenChain
        /// A configured server name is neither a DNS name nor an IP address.
        case invalidServerName
        /// Building or signing a certificate, or creating the TLS context, failed.
        case minting
    }

    public let kind: Kind
    /// The file concerned, if any.
    public let path: String?
    /// What is wrong, without key material.
    public let message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }
}
