import Intercept
import Logging
import NIOCore
import NIOPosix

/// A relay's listener (docs/relay.md): gateways connect here over mutual TLS. Every accepted
/// connection starts with a ``RelayGate``; once it is admitted, it is served by the same handlers,
/// with the same ``ProxyServices`` (authentication, policy, recording, upstream pools), as an
/// agent's connection to a gateway.
public final class RelayListener: Sendable {
    private let services: ProxyServices
    private let relay: RelayServices
    private let group: any EventLoopGroup
    private let channels: ListeningChannels

    public init(services: ProxyServices, relay: RelayServices, group: any EventLoopGroup) {
        self.services = services
        self.relay = relay
        self.group = group
        self.channels = ListeningChannels()
    }

    /// Binds every address; on failure closes what was bound and throws, naming the address.
    public func start(listen endpoints: [SocketEndpoint]) async throws {
        let (services, relay) = (self.services, self.relay)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayGate(services: services, relay: relay))
                }
            }
        for endpoint in endpoints {
            do {
                channels.append(try await bootstrap.bind(host: endpoint.address.description, port: Int(endpoint.port)).get())
            } catch {
                await stop()
                throw ProxyStartError(address: endpoint.description, underlying: "\(error)")
            }
        }
    }

    /// The addresses actually bound.
    public var boundAddresses: [SocketAddress] { channels.all.compactMap(\.localAddress) }

    /// Stops accepting; connections in progress end with the process.
    public func stop() async {
        for channel in channels.all { try? await channel.close() }
        channels.removeAll()
    }
}
