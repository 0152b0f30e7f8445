import JWTKit

/// What jwt-kit decodes after checking a signature: nothing. The claims were already read and checked
/// by ``ClaimsPolicy`` from the same bytes the signature covers, with the configured clock skew.
struct SignatureOnlyPayload: JWTPayload {
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
