import Kube

/// A compact JWS split and decoded, before anything about it is trusted.
///
/// Parsing checks shape only: three base64url parts, a JSON-object header with an `alg`, a JSON-object
/// payload, a non-empty signature, no critical header parameters. The claims are read to route the
/// token and to check it cheaply before any signature work; nothing here is trusted until a key of
/// the routed issuer has verified the signature.
struct UnverifiedToken: Sendable {
    /// Longer tokens are refused before any decoding.
    static let maximumLength = 16 * 1024

    let compact: String
    let algorithm: String
    let keyID: String?
    let claims: [String: JSONValue]

    static func parse(_ token: String) -> Result<UnverifiedToken, OIDCRejection> {
        guard token.utf8.count <= maximumLength else {
            return .failure(.malformed("longer than \(maximumLength) bytes"))
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0].utf8),
              let payloadBytes = Base64URL.decode(parts[1].utf8), Base64URL.decode(parts[2].utf8) != nil
        else {
            return .failure(.malformed("not three base64url parts"))
        }
        guard let header = (try? JSONParser.parse(headerBytes))?.objectValue else {
            return .failure(.malformed("header is not a JSON object"))
        }
        guard let algorithm = header["alg"]?.stringValue else {
            return .failure(.malformed("header has no alg"))
        }
        // Refuse unsigned tokens by name before looking further, so the reason is the precise one.
        if OIDCSigningAlgorithm.isNone(algorithm) { return .failure(.unsignedToken) }
        guard let claims = (try? JSONParser.parse(payloadBytes))?.objectValue else {
            return .failure(.malformed("payload is not a JSON object"))
        }
        guard !parts[2].isEmpty else { return .failure(.malformed("empty signature")) }
        if header["crit"] != nil { return .failure(.malformed("critical header parameters are not supported")) }
        let keyID: String?
        switch header["kid"] {
        case nil, .null?: keyID = nil
        case .string(let kid)?: keyID = kid
        default: return .failure(.malformed("kid is not a string"))
        }
        return .success(UnverifiedToken(compact: token, algorithm: algorithm, keyID: keyID, claims: claims))
    }
}
