import JWTKit

/// A JWS algorithm an issuer's tokens may be signed with. Only public-key algorithms exist here:
/// HMAC and `none` have no case, so no configuration can let them through.
public enum OIDCSigningAlgorithm: String, Sendable, Hashable, CaseIterable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case es256 = "ES256"
    case es384 = "ES384"
    case edDSA = "EdDSA"

    /// The JWK `kty` of the keys that verify this algorithm.
    var keyType: String {
        switch self {
        case .rs256, .rs384, .rs512, .ps256: "RSA"
        case .es256, .es384: "EC"
        case .edDSA: "OKP"
        }
    }

    /// The JWK `crv` the key must name, for curve-based algorithms.
    var curve: String? {
        switch self {
        case .rs256, .rs384, .rs512, .ps256: nil
        case .es256: "P-256"
        case .es384: "P-384"
        case .edDSA: "Ed25519"
        }
    }

    /// jwt-kit's name for the algorithm, pinned on every key the verifier builds.
    var jwkAlgorithm: JWK.Algorithm {
        switch self {
        case .rs256: .rs256
        case .rs384: .rs384
        case .rs512: .rs512
        case .ps256: .ps256
        case .es256: .es256
        case .es384: .es384
        case .edDSA: .eddsa
        }
    }

    /// Whether `name` is an HMAC algorithm (`HS256`, `HS384`, `HS512`): shared-secret signatures,
    /// which a verifier holding only public keys must refuse outright.
    static func isHMAC(_ name: String) -> Bool {
        name.uppercased().hasPrefix("HS")
    }

    /// Whether `name` says the token is unsigned (`none`, in any case).
    static func isNone(_ name: String) -> Bool {
        name.lowercased() == "none"
    }
}
