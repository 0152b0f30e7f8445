import Foundation
import NIOSSL
import X509

/// A minted serving leaf with its own key, ready to present: what a server-side TLS context is made
/// of, and what a per-handshake override (``RequestedNameCertificates``) swaps in.
///
/// Invariants: `chain` is the leaf (as `leaf`) followed by the gateway CA and any further chain the
/// operator supplied; `key` is the leaf's fresh P-256 key, never the CA's; `names` are the leaf's
/// subject alternative names in order, the destination first.
struct MintedLeaf: Sendable {
    let leaf: Certificate
    let chain: [Certificate]
    let servedChain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey
    let names: [ServingName]
    let mintedAt: Date
    /// From this moment a replacement is minted instead of presenting this one.
    let renewalDate: Date

    /// Whether it may be presented at `now`: inside its validity and before `renewalDate`.
    func isFresh(at now: Date) -> Bool {
        now >= leaf.notValidBefore && now < renewalDate
    }

    /// The handshake override that presents this leaf instead of the context's own.
    var override: NIOSSLContextConfigurationOverride {
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = servedChain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }
}
