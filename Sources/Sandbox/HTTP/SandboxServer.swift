import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The sandbox's listeners: TLS (ALPN http/1.1), HTTP/1.1 with pipelining, the exec WebSocket and
/// SPDY/3.1 upgrades, and ``APIServerHandler``.
public final class SandboxServer: Sendable {
    private let channels: [Channel]

    private init(channels: [Channel]) {
        self.channels = channels
    }

    /// Binds every address; fails, closing what was bound, if any bind fails.
    public static func start(addresses: [(host: String, port: Int)], tls: TLSConfiguration, services: SandboxServices,
                             group: EventLoopGroup) async throws -> SandboxServer {
        var tls = tls
        tls.applicationProtocols = ["http/1.1"]
        let sslContext = try NIOSSLContext(configuration: tls)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, sslContext: sslContext, services: services)
                }
            }
        var bound: [Channel] = []
        do {
            for address in addresses {
                bound.append(try await bootstrap.bind(host: address.host, port: address.port).get())
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        return SandboxServer(channels: bound)
    }

    private static func configure(channel: Channel, sslContext: NIOSSLContext, services: SandboxServices) throws {
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(NIOSSLServerHandler(context: sslContext))
        let upgrade: NIOHTTPServerUpgradeConfiguration = (
            upgraders: [ExecUpgrader.make(services: services), SPDYExecUpgrader(services: services)],
            completionHandler: { context in
                context.pipeline.syncOperations.removeHandler(name: "api", promise: nil)
            }
        )
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withServerUpgrade: upgrade, withErrorHandling: true)
        try sync.addHandler(APIServerHandler(services: services), name: "api")
    }

    /// The bound addresses, with the ports the kernel chose for port 0.
    public var localAddresses: [SocketAddress] { channels.compactMap(\.localAddress) }

    public func close() async {
        for channel in channels { try? await channel.close() }
    }
}
