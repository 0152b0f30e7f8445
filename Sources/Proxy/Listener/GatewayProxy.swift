import Intercept
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The gateway's listener: the proxy port on loopback and on the bridge addresses. Every accepted
/// connection starts with a ``ConnectionGate``.
public final class GatewayProxy: Sendable {
    private let services: ProxyServices
    private let group: any EventLoopGroup
    private let channels: ListeningChannels

    public init(services: ProxyServices, group: any EventLoopGroup) {
        self.services = services
        self.group = group
        self.channels = ListeningChannels()
    }

    /// Binds every listen address; on failure closes what was bound and throws, naming the address.
    public func start() async throws {
        let services = self.services
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionGate(services: services))
                }
            }
        for address in services.configuration.listenAddresses {
            do {
                let channel = try await bootstrap.bind(host: address.description, port: Int(services.configuration.port)).get()
                channels.append(channel)
            } catch {
                await stop()
                throw ProxyStartError(address: address.withPort(services.configuration.port), underlying: "\(error)")
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

public struct ProxyStartError: Error, Sendable, CustomStringConvertible {
    public var address: String
    public var underlying: String
    public var description: String { "cannot listen on \(address): \(underlying)" }
}

/// The listening channels.
final class ListeningChannels: Sendable {
    private let storage = Mutex<[any Channel]>([])

    func append(_ channel: any Channel) { storage.withLock { $0.append(channel) } }
    var all: [any Channel] { storage.withLock { $0 } }
    func removeAll() { storage.withLock { $0.removeAll() } }
}
