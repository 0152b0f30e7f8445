import NIOCore
import Synchronization

/// The gateways a relay admits, and their open connections.
///
/// A connection is admitted when its client certificate (already verified against the relay's CA
/// by TLS) has a serial the registry enrolled under the same name, not revoked. When the registry
/// changes (``update(_:)``), every open connection whose certificate is no longer admitted is
/// closed at once, so a revocation takes effect on pooled keep-alive connections and streams too,
/// not only on new ones.
///
/// Invariants: the enrolments and the open connections change under one lock, so a connection is
/// either tracked before an update (and closed by it) or checked against the updated enrolments
/// when it is tracked (``track(_:peer:)``); no revoked connection stays open past an update.
public final class GatewayRoster: Sendable {
    public enum Admission: Sendable, Equatable {
        case admitted
        /// Why not, in words for the record and the Status message.
        case refused(String)
    }

    private struct State {
        var enrolments: [String: GatewayEnrolment] = [:]
        var open: [String: [ObjectIdentifier: any Channel]] = [:]
    }

    private let state = Mutex(State())

    public init(_ registry: GatewayRegistry = GatewayRegistry()) {
        state.withLock { $0.enrolments = Self.index(registry) }
    }

    /// Whether `peer`'s certificate is admitted now.
    public func admit(_ peer: GatewayPeer) -> Admission {
        state.withLock { Self.admission(peer, in: $0.enrolments) }
    }

    /// Keeps `channel` (admitted for `peer`) until it closes, so that ``update(_:)`` can close it;
    /// closes it at once if `peer` is no longer admitted.
    func track(_ channel: any Channel, peer: GatewayPeer) {
        let key = ObjectIdentifier(channel)
        let admitted = state.withLock { state -> Bool in
            guard Self.admission(peer, in: state.enrolments) == .admitted else { return false }
            state.open[peer.serial, default: [:]][key] = channel
            return true
        }
        guard admitted else { return channel.close(promise: nil) }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { state in
                state.open[peer.serial]?[key] = nil
                if state.open[peer.serial]?.isEmpty == true { state.open[peer.serial] = nil }
            }
        }
    }

    /// Replaces the enrolments and closes every open connection whose certificate is no longer
    /// admitted. Returns how many were closed, by the gateway's name.
    @discardableResult
    public func update(_ registry: GatewayRegistry) -> [String: Int] {
        let closing = state.withLock { state -> [(String, [any Channel])] in
            state.enrolments = Self.index(registry)
            var closing: [(String, [any Channel])] = []
            for (serial, channels) in state.open where state.enrolments[serial].map({ !$0.isRevoked }) != true {
                closing.append((state.enrolments[serial]?.name ?? serial, Array(channels.values)))
                state.open[serial] = nil
            }
            return closing
        }
        var closed: [String: Int] = [:]
        for (name, channels) in closing {
            for channel in channels { channel.close(promise: nil) }
            closed[name, default: 0] += channels.count
        }
        return closed
    }

    /// How many certificates are enrolled and in force, and how many gateway connections are open.
    public var counts: (enrolled: Int, connections: Int) {
        state.withLock { state in
            (state.enrolments.values.filter { !$0.isRevoked }.count, state.open.values.map(\.count).reduce(0, +))
        }
    }

    private static func index(_ registry: GatewayRegistry) -> [String: GatewayEnrolment] {
        var out: [String: GatewayEnrolment] = [:]
        for enrolment in registry.gateways { out[enrolment.serial.lowercased()] = enrolment }
        return out
    }

    private static func admission(_ peer: GatewayPeer, in enrolments: [String: GatewayEnrolment]) -> Admission {
        guard let enrolment = enrolments[peer.serial] else {
            return .refused("the certificate of \(peer) was not enrolled at this relay (portcullis relay enroll)")
        }
        guard enrolment.name == peer.name else {
            return .refused("the certificate of \(peer) was enrolled for the gateway \(enrolment.name), not \(peer.name)")
        }
        if let revoked = enrolment.revokedAt {
            return .refused("the certificate of \(peer) was revoked at \(revoked)"
                            + (enrolment.revocationReason.map { ": \($0)" } ?? ""))
        }
        return .admitted
    }
}
