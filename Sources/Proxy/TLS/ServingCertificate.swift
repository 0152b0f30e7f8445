import Foundation
import Intercept
import NIOSSL
import X509

/// A minted serving certificate and the server-side TLS context that presents it.
///
/// Invariants: `context` serves `chain` (the leaf, then the gateway CA, then any further chain the
/// operator supplied) with the leaf's own fresh P-256 key; `names` are the leaf's subject alternative
/// names in order, the destination first.
public struct ServingCertificate: Sendable {
    /// The server-side context: TLS 1.2 or later, ALPN `http/1.1` only, no client certificates.
    public let context: NIOSSLContext
    /// The leaf the context presents.
    public let leaf: Certificate
    /// The certificates sent to the client, leaf first.
    public let chain: [Certificate]
    /// The leaf's subject alternative names: the destination, then the configured server names.
    public let names: [ServingName]
    /// When it was minted (by the store's clock).
    public let mintedAt: Date
    /// From this moment the store mints a replacement instead of returning this one.
    public let renewalDate: Date

    /// The leaf's expiry.
    public var notValidAfter: Date { leaf.notValidAfter }

    /// Whether the store may hand this out at `now`: inside its validity and before `renewalDate`.
    public func isFresh(at now: Date) -> Bool {
        now >= leaf.notValidBefore && now < renewalDate
    }
}
