import Kube

/// Why a token was refused. ``reason`` is the text that goes into the record: it names claims,
/// configured values and times, and never contains the token. Values taken from an unverified
/// token are cut to ``quotedLimit`` printable characters.
public enum OIDCRejection: Error, Sendable, Hashable {
    case missingToken
    case malformedTokenHeader(String)
    case malformed(String)
    case unsignedToken
    case hmacAlgorithm(String)
    case unsupportedAlgorithm(String)
    case algorithmNotAllowed(String, issuer: String, allowed: [String])
    case missingIssuer
    case unknownIssuer(String)
    case missingExpiry
    case expired(at: Int64)
    case notYetValid(until: Int64)
    case issuedInFuture(at: Int64)
    case wrongAudience(expected: [String])
    case missingUsernameClaim(String)
    case usernameClaimNotString(String)
    case emailNotVerified
    case reservedUsername(String)
    case requiredClaimMissing(String)
    case requiredClaimMismatch(String)
    case groupsClaimInvalid(String)
    case reservedGroup(String)
    case extraClaimInvalid(String)
    case keysUnavailable(issuer: String, detail: String)
    case unknownKeyID(String)
    case keyAlgorithmMismatch(keyID: String, algorithm: String)
    case noKeyForAlgorithm(String)
    case invalidSignature

    /// How many characters of an untrusted value a reason quotes.
    public static let quotedLimit = 64

    public var reason: String {
        switch self {
        case .missingToken: "missing token"
        case .malformedTokenHeader(let detail): "malformed token header: \(detail)"
        case .malformed(let detail): "malformed token: \(detail)"
        case .unsignedToken: "unsigned token (alg none) refused"
        case .hmacAlgorithm(let alg):
            "HMAC-signed token (\(Self.quoted(alg))) refused: only public-key signatures are accepted"
        case .unsupportedAlgorithm(let alg): "unsupported signing algorithm \(Self.quoted(alg))"
        case .algorithmNotAllowed(let alg, let issuer, let allowed):
            "signing algorithm \(Self.quoted(alg)) is not allowed for issuer \(issuer) (allowed: \(allowed.joined(separator: ", ")))"
        case .missingIssuer: "token has no iss claim"
        case .unknownIssuer(let iss): "token issuer \(Self.quoted(iss)) is not a configured issuer"
        case .missingExpiry: "token has no exp claim"
        case .expired(let exp): "token expired at \(KubeTime(seconds: exp).rfc3339)"
        case .notYetValid(let nbf): "token not valid before \(KubeTime(seconds: nbf).rfc3339)"
        case .issuedInFuture(let iat): "token issued in the future (iat \(KubeTime(seconds: iat).rfc3339))"
        case .wrongAudience(let expected):
            "token audience does not include " + (expected.count == 1 ? expected[0] : "any of \(expected.joined(separator: ", "))")
        case .missingUsernameClaim(let claim): "username claim \(claim) is missing"
        case .usernameClaimNotString(let claim): "username claim \(claim) is not a string"
        case .emailNotVerified: "email not verified (email_verified is false)"
        case .reservedUsername(let name): "username \(Self.quoted(name)) uses the reserved system: prefix"
        case .requiredClaimMissing(let claim): "required claim \(claim) is missing"
        case .requiredClaimMismatch(let claim): "required claim \(claim) does not have the required value"
        case .groupsClaimInvalid(let claim): "groups claim \(claim) is not a string or an array of strings"
        case .reservedGroup(let group): "group \(Self.quoted(group)) uses the reserved system: prefix"
        case .extraClaimInvalid(let claim): "extra claim \(claim) is not a string or an array of strings"
        case .keysUnavailable(let issuer, let detail): "signing keys of issuer \(issuer) are unavailable: \(detail)"
        case .unknownKeyID(let kid): "unknown signing key: kid \(Self.quoted(kid)) is not in the issuer's JWKS"
        case .keyAlgorithmMismatch(let kid, let alg): "signing key \(Self.quoted(kid)) cannot verify \(Self.quoted(alg))"
        case .noKeyForAlgorithm(let alg): "the issuer's JWKS has no key for \(alg)"
        case .invalidSignature: "invalid signature"
        }
    }

    /// `"value"`, with anything but printable ASCII replaced by `?` and cut to ``quotedLimit`` characters.
    static func quoted(_ value: String) -> String {
        var text = String(value.unicodeScalars.prefix(quotedLimit).map { scalar -> Character in
            (0x20..<0x7F).contains(scalar.value) && scalar != "\"" && scalar != "\\" ? Character(scalar) : "?"
        })
        if value.unicodeScalars.count > quotedLimit { text += "..." }
        return "\"\(text)\""
    }
}
