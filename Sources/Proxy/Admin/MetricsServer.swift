import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves `GET /metrics` (Prometheus text exposition format) on a loopback address. `render` is
/// called on an event loop for every scrape: it must be quick and must not block.
public final class MetricsServer: Sendable {
    private let host: String
    private let port: Int
    private let group: any EventLoopGroup
    private let render: @Sendable () -> String
    private let channels = ListeningChannels()

    public init(host: String, port: Int, group: any EventLoopGroup, render: @escaping @Sendable () -> String) {
        self.host = host
        self.port = port
        self.group = group
        self.render = render
    }

    public func start() async throws {
        let render = self.render
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(render: render))
                }
            }
        do {
            channels.append(try await bootstrap.bind(host: host, port: port).get())
        } catch {
            throw ProxyStartError(address: "\(host):\(port) (metrics)", underlying: "\(error)")
        }
    }

    /// The port actually bound (for port 0).
    public var boundPort: Int? { channels.all.first?.localAddress?.port }

    public func stop() async {
        for channel in channels.all { try? await channel.close() }
        channels.removeAll()
    }
}
