import JWTKit

/// One public key of an issuer, pinned to one algorithm.
///
/// Invariant: ``verifier`` holds this key alone, with its `alg` fixed, so jwt-kit can neither fall back
/// to another key for an unknown kid nor let a token's header choose the algorithm.
struct SigningKey: Sendable {
    let keyID: String
    let algorithm: OIDCSigningAlgorithm
    let verifier: JWTKeyCollection

    /// The outcome of checking one token's signature with this key.
    enum Check: Sendable, Equatable {
        case valid
        case invalid
        /// jwt-kit failed for another reason than a wrong signature (shown in the debug log only).
        case failed(String)
    }

    /// Builds the key from a JWK's public parameters only (`d`, `p`, `q` are never read).
    /// Throws jwt-kit's error for parameters it cannot use.
    static func make(keyID: String, algorithm: OIDCSigningAlgorithm, jwk: [String: String]) async throws -> SigningKey {
        let identifier = JWKIdentifier(string: keyID)
        let publicJWK: JWK
        switch algorithm.keyType {
        case "RSA":
            publicJWK = .rsa(algorithm.jwkAlgorithm, identifier: identifier, modulus: jwk["n"], exponent: jwk["e"])
        case "EC":
            publicJWK = .ecdsa(algorithm.jwkAlgorithm, identifier: identifier, x: jwk["x"], y: jwk["y"],
                               curve: algorithm.curve.flatMap(ECDSACurve.init(rawValue:)))
        default:
            publicJWK = .octetKeyPair(algorithm.jwkAlgorithm, identifier: identifier, x: jwk["x"], y: nil,
                                      curve: .ed25519)
        }
        let verifier = JWTKeyCollection()
        try await verifier.add(jwk: publicJWK)
        return SigningKey(keyID: keyID, algorithm: algorithm, verifier: verifier)
    }

    func check(_ token: String) async -> Check {
        do {
            _ = try await verifier.verify(token, as: SignatureOnlyPayload.self)
            return .valid
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            return .invalid
        } catch {
            return .failed(String(describing: error))
        }
    }
}
