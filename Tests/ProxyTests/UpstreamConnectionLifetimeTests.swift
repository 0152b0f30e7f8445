import Intercept
import NIOCore
import NIOEmbedded
import Testing

@testable import Proxy

/// An upstream connection must be freed once nothing uses it: each watch and exec opens one, and
/// the soak showed every one of them kept (its channel, pipeline and buffers, about 5 KiB) when the
/// close hook held the connection.
@Suite struct UpstreamConnectionLifetimeTests {
    static let key = UpstreamPoolKey(cluster: "sandbox", destination: SocketEndpoint(.v4(198, 18, 0, 2), port: 6443))

    /// A connection on `channel` that leaves `pool` on close, as the proxy makes them.
    static func connection(on channel: EmbeddedChannel, pool: LoopPool) throws -> UpstreamConnection {
        let handler = UpstreamResponseHandler()
        try channel.pipeline.syncOperations.addHandler(handler)
        let connection = UpstreamConnection(channel: channel, handler: handler, key: key)
        connection.leavesOnClose(pool)
        return connection
    }

    @Test("a connection used for one request and closed is freed")
    func closedConnectionIsFreed() throws {
        let pool = LoopPool()
        let channel = EmbeddedChannel()
        var inUse: UpstreamConnection? = try Self.connection(on: channel, pool: pool)
        weak let connection = inUse
        inUse?.close()
        inUse = nil
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(connection == nil, "the close hook keeps the connection alive")
    }

    @Test("an upgraded connection, whose response handler was removed before the close, is freed")
    func upgradedConnectionIsFreed() throws {
        let pool = LoopPool()
        let channel = EmbeddedChannel()
        var inUse: UpstreamConnection? = try Self.connection(on: channel, pool: pool)
        weak let connection = inUse
        try channel.pipeline.syncOperations.removeHandler(try #require(inUse?.handler)).wait()
        inUse?.close()
        inUse = nil
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(connection == nil, "the removed handler's close hook keeps the connection alive")
    }

    @Test("an idle pooled connection that closes leaves its pool and is freed")
    func idleConnectionLeavesThePool() throws {
        let pool = LoopPool()
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "198.18.0.2", port: 6443)).wait()
        var idle: UpstreamConnection? = try Self.connection(on: channel, pool: pool)
        weak let connection = idle
        pool.give(try #require(idle))
        idle = nil
        #expect(connection != nil, "the pool holds it while it is idle")
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(pool.take(Self.key) == nil)
        #expect(connection == nil, "closed, it left the pool and was freed")
    }
}
