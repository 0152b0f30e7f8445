import Foundation

/// One client certificate a relay issued to a gateway (`portcullis relay enroll NAME`), and whether
/// it was revoked. The relay admits a gateway's connection only when its certificate's serial is
/// enrolled under the name the certificate carries, and not revoked (``GatewayRoster``).
public struct GatewayEnrolment: Sendable, Hashable, Codable {
    /// The gateway's name: the certificate's subject common name.
    public var name: String
    /// The certificate's serial number, lowercase hex.
    public var serial: String
    /// SHA-256 of the certificate's DER, lowercase hex.
    public var fingerprint: String
    /// When it was issued and when it expires (RFC 3339, UTC).
    public var issuedAt: String
    public var notValidAfter: String
    /// When it was revoked; nil while it is in force.
    public var revokedAt: String?
    /// Why, as the operator said.
    public var revocationReason: String?

    public init(name: String, serial: String, fingerprint: String, issuedAt: String, notValidAfter: String,
                revokedAt: String? = nil, revocationReason: String? = nil) {
        self.name = name
        self.serial = serial
        self.fingerprint = fingerprint
        self.issuedAt = issuedAt
        self.notValidAfter = notValidAfter
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    public var isRevoked: Bool { revokedAt != nil }
}
