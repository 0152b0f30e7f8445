import Intercept
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Idle connections to one API server, per cluster and destination.
struct UpstreamPoolKey: Hashable {
    var cluster: String
    var destination: SocketEndpoint
}

/// Keep-alive connections to the API servers, one pool per event loop so a request never leaves
/// its connection's loop. A pool is only touched on its own loop.
final class UpstreamPools: Sendable {
    /// At most this many idle connections per key are kept.
    static let maximumIdle = 16

    private let pools = Mutex<[ObjectIdentifier: LoopPool]>([:])
    private let contexts = Mutex<[String: NIOSSLContext]>([:])

    /// The pool of `eventLoop`; call on that loop.
    func pool(for eventLoop: any EventLoop) -> LoopPool {
        pools.withLock { pools in
            let key = ObjectIdentifier(eventLoop)
            if let pool = pools[key] { return pool }
            let pool = LoopPool()
            pools[key] = pool
            return pool
        }
    }

    /// The client TLS context for a cluster: its CA, its client certificate if any; cached.
    func clientContext(for cluster: ClusterUpstream) throws -> NIOSSLContext {
        if let cached = contexts.withLock({ $0[cluster.name] }) { return cached }
        let context = try NIOSSLContext(configuration: ClusterTLS.configuration(for: cluster))
        contexts.withLock { $0[cluster.name] = context }
        return context
    }
}

/// One event loop's idle connections. Not thread-safe: used only on its loop.
final class LoopPool: @unchecked Sendable {
    private var idle: [UpstreamPoolKey: [UpstreamConnection]] = [:]

    /// An idle, still-open connection for `key`, if any.
    func take(_ key: UpstreamPoolKey) -> UpstreamConnection? {
        while var list = idle[key], let connection = list.popLast() {
            idle[key] = list
            if connection.isActive { return connection }
        }
        return nil
    }

    func give(_ connection: UpstreamConnection) {
        guard connection.isActive, (idle[connection.key]?.count ?? 0) < UpstreamPools.maximumIdle else {
            connection.close()
            return
        }
        idle[connection.key, default: []].append(connection)
    }

    func forget(_ connection: UpstreamConnection) {
        idle[connection.key]?.removeAll { $0 === connection }
    }
}
