import Intercept
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Opens TLS connections to an API server on the client connection's own event loop, verifying
/// the server against the cluster's CA: by the cluster's first server name when it has one, by
/// the IP address otherwise.
enum UpstreamConnector {
    static func connect(_ key: UpstreamPoolKey, cluster: ClusterUpstream, services: ProxyServices,
                        on eventLoop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        let tls: NIOSSLContext
        do {
            tls = try services.pools.clientContext(for: cluster)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let serverName = ClusterTLS.serverHostname(for: cluster)
        // The channel is created on `eventLoop` (the bootstrap's only loop), so its initializer and
        // the connect future's callbacks run there too: the handler never leaves the loop.
        let handler = NIOLoopBound(UpstreamResponseHandler(), eventLoop: eventLoop)
        let timeout = services.configuration.upstreamConnectTimeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    try sync.addHandler(HTTPRequestEncoder(), name: ProxyHandlerNames.encoder)
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                                        name: ProxyHandlerNames.decoder)
                    try sync.addHandler(handler.value, name: ProxyHandlerNames.proxy)
                }
            }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: key.destination.address.description, port: Int(key.destination.port))
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return bootstrap.connect(to: address).map { channel in
            UpstreamConnection(channel: channel, handler: handler.value, key: key)
        }
    }
}
