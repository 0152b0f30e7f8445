import Intercept
import Kube
import NIOCore

/// The per-caller connection cap (``ClientLimits/maxConnectionsPerCaller``), so that one agent
/// cannot take the descriptors every other agent needs.
extension ConnectionGate {
    /// Refuses a connection over its caller's cap and records why. The first
    /// ``ClientLimits/answeredRefusalsPerCaller`` beyond the cap get TLS and a 429 Status, which
    /// kubectl prints (and, as for kube-apiserver's 429, retries after `Retry-After`); any further
    /// one is closed at once, so refusals hold no more than that many descriptors per caller.
    func refuseOverCap(context: ChannelHandlerContext, peer: SocketEndpoint, destination: SocketEndpoint, caller: Caller,
                       key: CallerKey, open: Int) {
        let limits = services.configuration.limits
        let lookup: Result<(address: IPAddress, port: UInt16), OriginalDestinationError> = .success((destination.address, destination.port))
        let tooMany = "too many open connections from \(key): \(open) with this one, over the limit of "
            + "\(limits.maxConnectionsPerCaller) (gateway.maxConnectionsPerCaller)"
        guard open <= limits.maxConnectionsPerCaller + limits.answeredRefusalsPerCaller,
              let cluster = services.configuration.cluster(for: destination) else {
            return refuse(context: context, peer: peer, lookup: lookup, reason: tooMany + "; closed unanswered", caller: caller)
        }
        let status = Status.tooManyRequests("portcullis: \(tooMany); close some and try again", retryAfterSeconds: 1)
        _ = services.recorder.record(.connectionRefused(RefusedConnection(
            time: ProxyClock.now(), peer: peer.address, peerPort: peer.port, originalDestination: destination.address,
            originalPort: destination.port, caller: caller, reason: tooMany + "; answered 429")), on: context.eventLoop)
        services.logger.warning("refused a connection over its caller's cap", metadata: ["caller": "\(key)", "open": "\(open)"])
        do {
            try installHTTP(context: context, destination: destination, cluster: cluster) { _ in RefusalResponder(status: status) }
        } catch {
            services.logger.error("cannot serve TLS for \(destination): \(error)")
            context.close(promise: nil)
        }
    }
}
