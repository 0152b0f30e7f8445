import Foundation
import NIOSSL

/// How long serving certificates live and when the store replaces them.
public struct ServingCertificateConfiguration: Sendable, Equatable {
    /// How long a serving certificate is valid from the moment it is minted. Default: 3 days.
    public var lifetime: TimeInterval
    /// The store mints a replacement once less than this fraction of `lifetime` is left.
    /// Default: one third (so a 3-day certificate is replaced after 2 days).
    public var renewalFraction: Double
    /// How far before the minting moment validity starts, for clients whose clock is slightly behind.
    /// Default: 5 minutes.
    public var backdating: TimeInterval
    /// The most (destination, names) contexts kept; beyond it, the oldest are dropped. Default: 256.
    public var maximumCachedContexts: Int
    /// The most leaves kept for host names clients asked for (SNI) that the configuration does not
    /// list; beyond it, the oldest are dropped. Default: 256.
    public var maximumRequestedNames: Int
    /// When not empty, every client must present a certificate that chains to one of these (the
    /// relay's CA: its gateways' certificates); the handshake fails otherwise. Empty (the gateway's
    /// listener): no client certificate is asked for.
    public var clientCertificateRoots: [NIOSSLCertificate]
    /// The ALPN protocols the server accepts, in order of preference. The gateway offers
    /// `http/1.1`; the relay one per cluster (``RelayProtocol``).
    public var applicationProtocols: [String]

    public init(lifetime: TimeInterval = 3 * 86_400, renewalFraction: Double = 1.0 / 3.0,
                backdating: TimeInterval = 300, maximumCachedContexts: Int = 256, maximumRequestedNames: Int = 256,
                clientCertificateRoots: [NIOSSLCertificate] = [], applicationProtocols: [String] = ["http/1.1"]) {
        self.lifetime = lifetime
        self.renewalFraction = renewalFraction
        self.backdating = backdating
        self.maximumCachedContexts = maximumCachedContexts
        self.maximumRequestedNames = maximumRequestedNames
        self.clientCertificateRoots = clientCertificateRoots
        self.applicationProtocols = applicationProtocols
    }

    /// Throws when a value makes no sense: a lifetime of a minute or less, a renewal fraction outside
    /// (0, 1), negative backdating, or a cache that holds nothing.
    public func validate() throws(TLSCertificateError) {
        guard lifetime > 60 else {
            throw TLSCertificateError(.minting, "the serving certificate lifetime must be longer than a minute (got \(lifetime) s)")
        }
        guard renewalFraction > 0, renewalFraction < 1 else {
            throw TLSCertificateError(.minting, "the renewal fraction must be between 0 and 1 (got \(renewalFraction))")
        }
        guard backdating >= 0 else {
            throw TLSCertificateError(.minting, "the backdating must not be negative (got \(backdating) s)")
        }
        guard maximumCachedContexts > 0, maximumRequestedNames > 0 else {
            throw TLSCertificateError(.minting, "the certificate caches must hold at least one entry "
                                      + "(got \(maximumCachedContexts) contexts, \(maximumRequestedNames) requested names)")
        }
    }
}
