import Foundation
import Intercept
import Logging
import NIOSSL
import Synchronization

/// Leaves for the host names clients ask for (SNI) that the configuration does not list, presented
/// in place of the destination's own leaf during the handshake.
///
/// A kubeconfig may name an API server by a host name the operator never listed in `serverNames`
/// (managed clusters' generated names). The connection's original destination is a configured API
/// endpoint (only those reach the proxy, see ``RedirectAdmission``), so whatever name the client
/// used, the gateway is what answers at that address, and it says so in a leaf for that name.
///
/// Invariants and limits:
/// - Called only from the handshake of a connection whose original destination is a configured
///   endpoint: the callback lives in the contexts ``ServingCertificateStore`` makes for those.
/// - A name is used only if it is a valid DNS host name (``RequestedServerName``); anything else,
///   no SNI, or a configured name keeps the destination's own leaf (no changes).
/// - The leaf's key stays in the gateway; the leaf is valid only where iptables sends that address
///   to the gateway. Upstream, the gateway still verifies the API server by the configured names.
/// - At most `maximumRequestedNames` leaves are kept (stale ones first, then the oldest go), so a
///   client cycling through names costs one P-256 mint (about 0.25 ms) per handshake and no memory
///   beyond the bound. Each name minted is logged once, at notice level.
final class RequestedNameCertificates: Sendable {
    private struct Key: Hashable {
        let destination: IPAddress
        let names: [ServingName]
    }

    private let minter: ServingCertificateMinter
    private let limit: Int
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let cache = Mutex<[Key: MintedLeaf]>([:])

    init(minter: ServingCertificateMinter, limit: Int, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.minter = minter
        self.limit = limit
        self.clock = clock
        self.logger = logger
    }

    /// The callback for the contexts of `destination`, whose own leaf holds `configured`.
    func callback(destination: IPAddress, configured: [ServingName]) -> NIOSSLContextCallback {
        { [self] values, promise in
            promise.succeed(self.override(serverName: values.serverHostname, destination: destination, configured: configured))
        }
    }

    /// What to present to a client that asked for `serverName` at `destination`.
    func override(serverName: String?, destination: IPAddress, configured: [ServingName]) -> NIOSSLContextConfigurationOverride {
        guard let serverName else { return .noChanges }
        guard let name = RequestedServerName.parse(serverName) else {
            logger.debug("the client asked for a server name that is not a host name; presenting the configured names",
                         metadata: ["destination": "\(destination)", "serverName": "\(serverName.prefix(64))"])
            return .noChanges
        }
        if configured.contains(name) { return .noChanges }
        do {
            return try leaf(for: name, destination: destination, configured: configured).override
        } catch {
            logger.error("cannot mint a serving certificate for a requested server name",
                         metadata: ["destination": "\(destination)", "serverName": "\(name)", "error": "\(error)"])
            return .noChanges
        }
    }

    /// How many leaves are cached.
    var cachedCount: Int { cache.withLock { $0.count } }

    private func leaf(for name: ServingName, destination: IPAddress,
                      configured: [ServingName]) throws(TLSCertificateError) -> MintedLeaf {
        let key = Key(destination: destination, names: Set(configured + [name]).subtracting([.ip(destination)]).sorted())
        let now = clock()
        if let cached = cache.withLock({ $0[key] }), cached.isFresh(at: now) { return cached }
        let minted = try minter.mintLeaf(destination: destination, names: key.names, now: now)
        let isNew = cache.withLock { entries in
            let isNew = entries[key] == nil
            entries[key] = minted
            Self.evict(&entries, keeping: limit, now: now)
            return isNew
        }
        if isNew {
            logger.notice("minted a serving certificate for a server name the configuration does not list",
                          metadata: ["destination": "\(destination)", "serverName": "\(name)"])
        }
        return minted
    }

    /// Drops stale entries, then the oldest ones, until at most `limit` remain.
    private static func evict(_ entries: inout [Key: MintedLeaf], keeping limit: Int, now: Date) {
        guard entries.count > limit else { return }
        entries = entries.filter { $0.value.isFresh(at: now) }
        while entries.count > limit, let oldest = entries.min(by: { $0.value.mintedAt < $1.value.mintedAt }) {
            entries[oldest.key] = nil
        }
    }
}
