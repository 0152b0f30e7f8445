import Intercept
import Kube
import NIOCore
import NIOSSL
import NIOTLS
import X509

/// The first handler of every connection a relay accepts: mutual TLS first (the gateway's
/// certificate must chain to the relay's CA), then, once the handshake completed, admission: the
/// certificate must be enrolled and not revoked (``GatewayRoster``) and the negotiated protocol
/// must name a cluster the relay serves (``RelayProtocol``). An admitted connection is recorded
/// with the gateway's name and gets the same HTTP handlers and ``ProxyRequestHandler`` as an
/// agent's connection to a gateway: from here on it is the Proxy module's ordinary path.
///
/// A refused connection is recorded with its reason; one refused after the handshake is answered
/// with a 403 Status naming the reason (``RefusalResponder``), one whose handshake failed or did
/// not finish within ``ClientLimits/requestHeaderTimeout`` is closed.
///
/// Invariants: exactly one of "admitted" or "refused" is recorded per connection; the gate sits
/// right after the TLS handler until it decides, and leaves the pipeline once it has.
final class RelayGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    let services: ProxyServices
    let relay: RelayServices
    private var accepted = NIODeadline.now()
    private var peer: SocketEndpoint?
    private var local: SocketEndpoint?
    private var decided = false
    private var handshakeTimer: Scheduled<Void>?
    /// Bytes read after the handshake but before the HTTP handlers were in place.
    private var early: [ByteBuffer] = []

    init(services: ProxyServices, relay: RelayServices) {
        self.services = services
        self.relay = relay
    }

    func channelActive(context: ChannelHandlerContext) {
        accepted = NIODeadline.now()
        context.fireChannelActive()
        peer = context.remoteAddress.flatMap(SocketEndpoint.init)
        local = context.localAddress.flatMap(SocketEndpoint.init)
        guard let peer, let local else { return refuse(context, "the connection has no address") }
        let key = CallerKey.source(peer.address.unmappedIPv4 ?? peer.address)
        let open = services.connections.open(key)
        context.channel.closeFuture.whenComplete { [services] _ in services.connections.close(key) }
        if open > services.configuration.limits.maxConnectionsPerCaller {
            return refuse(context, "too many open connections from \(key): \(open) with this one, over the limit of "
                          + "\(services.configuration.limits.maxConnectionsPerCaller) (relay.maxConnectionsPerCaller); closed unanswered")
        }
        do {
            let tls = try relay.servingContexts.sslContext(destination: local.address, serverNames: relay.serverNames)
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .before(self))
        } catch {
            services.logger.error("cannot serve TLS on \(local): \(error)")
            return refuse(context, "cannot serve TLS on \(local): \(error)")
        }
        let timeout = services.configuration.limits.requestHeaderTimeout
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            refuse(context, "the TLS handshake was not complete within \(DurationWords.text(timeout))")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        early.append(unwrapInboundIn(data))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .handshakeCompleted(let negotiated) = event as? TLSUserEvent, !decided else {
            return context.fireUserInboundEventTriggered(event)
        }
        handshakeTimer?.cancel()
        services.stages.record(.acceptAndTLS, since: accepted)
        guard let peer else { return refuse(context, "the connection has no address") }
        let gateway: GatewayPeer
        do {
            gateway = try Self.gatewayPeer(context)
        } catch {
            return refuse(context, "the client certificate cannot be read: \(error)")
        }
        if case .refused(let reason) = relay.roster.admit(gateway) {
            return refuseAnswering(context, Status.forbidden(GroupResource(resource: "gateways"), name: gateway.name,
                                                             "portcullis relay: \(reason)"), reason, gateway: gateway)
        }
        guard let name = RelayProtocol.cluster(negotiated: negotiated),
              let cluster = services.configuration.clusters.first(where: { $0.name == name }), let endpoint = cluster.endpoints.first else {
            let served = services.configuration.clusters.map(\.name).joined(separator: ", ")
            let reason = "the connection names no cluster this relay serves (it serves \(served)); check clusters[].relay.cluster on \(gateway)"
            return refuseAnswering(context, Status.forbidden(GroupResource(resource: "clusters"), name: "", "portcullis relay: \(reason)"),
                                   reason, gateway: gateway)
        }
        decided = true
        let connection = ConnectionContext(id: services.ids.connection(), cluster: cluster, destination: endpoint, peer: peer,
                                           caller: Caller(sourceAddress: peer.address), acceptedAt: accepted, gateway: gateway)
        _ = services.recorder.record(.connectionOpened(ConnectionOpened(
            id: connection.id, time: ProxyClock.now(), peer: peer.description, originalDestination: endpoint.description,
            cluster: cluster.name, caller: connection.caller, gateway: gateway.name)), on: context.eventLoop)
        relay.roster.track(context.channel, peer: gateway)
        let (services, eventLoop) = (self.services, context.eventLoop)
        install(context) { progress in
            ProxyRequestHandler(services: services, connection: connection, eventLoop: eventLoop, headProgress: progress)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !decided else { return context.fireErrorCaught(error) }
        refuse(context, "the TLS handshake failed: \(error)")
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided { refuse(context, "the connection closed before the TLS handshake completed") }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
    }

    // MARK: Deciding

    /// The gateway the client certificate names: its subject common name and serial.
    static func gatewayPeer(_ context: ChannelHandlerContext) throws -> GatewayPeer {
        guard let presented = try context.pipeline.syncOperations.nioSSL_peerCertificate() else {
            throw RelayGateError.noCertificate
        }
        let certificate = try Certificate(derEncoded: try presented.toDERBytes())
        let names = certificate.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.compactMap { String($0.value) }
        guard names.count == 1, let name = names.first, !name.isEmpty else { throw RelayGateError.noCommonName }
        let serial = certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        return GatewayPeer(name: name, serial: serial)
    }

    /// Records the refusal and closes.
    private func refuse(_ context: ChannelHandlerContext, _ reason: String, gateway: GatewayPeer? = nil) {
        guard !decided else { return }
        decided = true
        handshakeTimer?.cancel()
        record(refusal: reason, gateway: gateway, context: context)
        context.close(promise: nil)
    }

    /// Records the refusal and answers the gateway's first request with `status`.
    private func refuseAnswering(_ context: ChannelHandlerContext, _ status: Status, _ reason: String, gateway: GatewayPeer) {
        decided = true
        record(refusal: reason, gateway: gateway, context: context)
        services.logger.warning("refused a gateway", metadata: ["gateway": "\(gateway.name)", "reason": "\(reason)"])
        install(context) { _ in RefusalResponder(status: status) }
    }

    private func record(refusal reason: String, gateway: GatewayPeer?, context: ChannelHandlerContext) {
        let peer = self.peer ?? SocketEndpoint(.v4(0, 0, 0, 0), port: 0)
        _ = services.recorder.record(.connectionRefused(RefusedConnection(
            time: ProxyClock.now(), peer: peer.address, peerPort: peer.port, originalDestination: local?.address,
            originalPort: local?.port, caller: Caller(sourceAddress: peer.address), reason: reason, peerName: gateway?.name)),
            on: context.eventLoop)
    }

    /// Puts the HTTP handlers after the gate, hands them what was read meanwhile, and leaves.
    private func install(_ context: ChannelHandlerContext, last: (RequestHeadProgress) -> any ChannelHandler) {
        do {
            let pipeline = context.pipeline.syncOperations
            try ProxyPipeline.addHTTPHandlers(to: pipeline, limits: services.configuration.limits, last: last)
            for buffer in early { context.fireChannelRead(wrapInboundOut(buffer)) }
            early = []
            pipeline.removeHandler(self, promise: nil)
        } catch {
            services.logger.error("cannot set up the relay's HTTP handlers: \(error)")
            context.close(promise: nil)
        }
    }
}

extension RelayGate {
    typealias InboundOut = ByteBuffer
}

/// Why a gateway's certificate names no gateway.
enum RelayGateError: Error, CustomStringConvertible {
    case noCertificate, noCommonName

    var description: String {
        switch self {
        case .noCertificate: "no client certificate"
        case .noCommonName: "the certificate's subject has no single common name"
        }
    }
}
