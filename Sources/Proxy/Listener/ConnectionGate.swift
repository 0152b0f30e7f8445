import Foundation
import Intercept
import Kube
import NIOCore
import NIOHTTP1
import NIOSSL

/// The first handler of every accepted connection. Before a byte is read it finds the original
/// destination, decides admission, names the caller and records the connection; then it installs
/// TLS (a certificate minted for that destination) and the HTTP proxy handlers, and removes itself.
/// A refused connection is recorded with its reason and its caller, and closed. So every
/// connection, refused or not, and whatever becomes of its TLS handshake, names its caller.
final class ConnectionGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let services: ProxyServices

    init(services: ProxyServices) {
        self.services = services
    }

    func channelActive(context: ChannelHandlerContext) {
        let accepted = NIODeadline.now()
        context.fireChannelActive()
        let peer = context.remoteAddress.flatMap(SocketEndpoint.init)
        let local = context.localAddress.flatMap(SocketEndpoint.init)
        let lookup = Result { () throws(OriginalDestinationError) in try OriginalDestination.of(channel: context.channel) }
        let decision = services.admission.decide(lookup)
        guard case .admit(let destination) = decision, let peer,
              let cluster = services.configuration.cluster(for: destination) else {
            var reason = "the original destination maps to no configured cluster"
            if case .refuse(let why) = decision { reason = why }
            // The client's socket has the address it dialled as its peer: the original destination
            // when the connection was redirected, else the gateway's own address.
            var dialled = local
            if case .success(let original) = lookup { dialled = SocketEndpoint(original.address, port: original.port) }
            let caller = peer.flatMap { peer in dialled.map { attribute(peer: peer, destination: $0, local: local) } }
            refuse(context: context, peer: peer, lookup: lookup, reason: reason, caller: caller)
            return
        }
        let caller = attribute(peer: peer, destination: destination, local: local)
        let key = CallerKey(caller, peer: peer.address)
        let open = services.connections.open(key)
        context.channel.closeFuture.whenComplete { [services] _ in services.connections.close(key) }
        if open > services.configuration.limits.maxConnectionsPerCaller {
            return refuseOverCap(context: context, peer: peer, destination: destination, caller: caller, key: key, open: open)
        }
        let connection = ConnectionContext(id: services.ids.connection(), cluster: cluster, destination: destination,
                                           peer: peer, caller: caller, acceptedAt: accepted)
        _ = services.recorder.record(.connectionOpened(ConnectionOpened(
            id: connection.id, time: ProxyClock.now(), peer: peer.description, originalDestination: destination.description,
            cluster: cluster.name, caller: caller)), on: context.eventLoop)
        do {
            try installProxy(context: context, connection: connection)
        } catch {
            services.logger.error("cannot serve TLS for \(destination): \(error)")
            context.close(promise: nil)
        }
    }

    private func attribute(peer: SocketEndpoint, destination: SocketEndpoint, local: SocketEndpoint?) -> Caller {
        let interface = local.flatMap { CallerAttribution.interface(owning: $0.address) }
        if let interface, interface != "lo", let attribution = services.attribution {
            return attribution.forwarded(source: peer.address, interface: interface)
        }
        let flow = Flow(transport: .tcp, source: peer.address, sourcePort: peer.port, destination: destination.address,
                        destinationPort: destination.port)
        return services.attribution?.local(flow: flow) ?? Caller(sourceAddress: peer.address)
    }

    func refuse(context: ChannelHandlerContext, peer: SocketEndpoint?,
                        lookup: Result<(address: IPAddress, port: UInt16), OriginalDestinationError>, reason: String,
                        caller: Caller? = nil) {
        var original: (IPAddress, UInt16)?
        if case .success(let value) = lookup { original = value }
        let refused = RefusedConnection(
            time: ProxyClock.now(), peer: peer?.address ?? IPAddress.v4(0, 0, 0, 0), peerPort: peer?.port ?? 0,
            originalDestination: original?.0, originalPort: original?.1, caller: caller ?? Caller(sourceAddress: peer?.address),
            reason: reason)
        _ = services.recorder.record(.connectionRefused(refused), on: context.eventLoop)
        services.logger.warning("refused a connection", metadata: ["peer": "\(peer.map(\.description) ?? "?")", "reason": "\(reason)"])
        context.close(promise: nil)
    }

    private func installProxy(context: ChannelHandlerContext, connection: ConnectionContext) throws {
        let (services, eventLoop) = (self.services, context.eventLoop)
        try installHTTP(context: context, destination: connection.destination, cluster: connection.cluster) { progress in
            ProxyRequestHandler(services: services, connection: connection, eventLoop: eventLoop, headProgress: progress)
        }
    }

    /// Replaces the gate with TLS (a certificate minted for the destination) and the HTTP handlers,
    /// `last` at the end (see ``ProxyPipeline``).
    func installHTTP(context: ChannelHandlerContext, destination: SocketEndpoint, cluster: ClusterUpstream,
                     last: (RequestHeadProgress) -> any ChannelHandler) throws {
        let tls = try services.servingContexts.sslContext(destination: destination.address, serverNames: cluster.serverNames)
        let pipeline = context.pipeline.syncOperations
        try pipeline.addHandler(NIOSSLServerHandler(context: tls))
        try ProxyPipeline.addHTTPHandlers(to: pipeline, limits: services.configuration.limits, last: last)
        pipeline.removeHandler(self, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        context.fireChannelInactive()
    }
}

/// Names of the handlers swapped out when a connection is upgraded to a raw stream.
enum ProxyHandlerNames {
    static let probe = "portcullis.request-bytes"
    static let decoder = "portcullis.http-decoder"
    static let encoder = "portcullis.http-encoder"
    static let timeouts = "portcullis.request-timeouts"
    static let proxy = "portcullis.proxy"
}

/// Wall-clock time as Kubernetes timestamps.
enum ProxyClock {
    static func now() -> KubeTime {
        KubeTime(microseconds: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
