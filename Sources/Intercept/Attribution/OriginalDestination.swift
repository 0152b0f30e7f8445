import Glibc
import NIOCore

/// Reads where a client meant to connect before iptables REDIRECT sent it to the gateway.
///
/// The kernel rebuilds the connection's conntrack tuple from the socket and returns the destination
/// of its original direction (`getorigdst` in `nf_conntrack_proto.c`):
/// - IPv4: `getsockopt(fd, SOL_IP (0), SO_ORIGINAL_DST (80))` into a `sockaddr_in`;
/// - IPv6: `getsockopt(fd, SOL_IPV6 (41), IP6T_SO_ORIGINAL_DST (80))` into a `sockaddr_in6`.
///
/// Invariants:
/// - The family is decided from the connection's peer address, never from the socket's family: an
///   AF_INET6 socket whose peer is IPv4-mapped (`::ffff:a.b.c.d`) carries IPv4 packets, whose NAT
///   record only the IPv4 call finds (mitmproxy #2594).
/// - A connection that was not redirected throws ``OriginalDestinationError/notRedirected(connection:errno:)``:
///   either the kernel has no record of it (`ENOENT`, e.g. conntrack is not tracking it), or the
///   record's original destination is the socket's own local address, which is what conntrack
///   records for a direct, un-NATed connection (Envoy's `original_dst` filter relies on the same).
///   The gateway must refuse both: it does not know where the client meant to go.
/// - Only the default conntrack zone is searched, and only TCP and SCTP have an original destination.
public enum OriginalDestination {
    /// `SOL_IP`.
    static let ipv4Level: Int32 = 0
    /// `SOL_IPV6`.
    static let ipv6Level: Int32 = 41
    /// `SO_ORIGINAL_DST` and `IP6T_SO_ORIGINAL_DST` share the number.
    static let optionName: Int32 = 80

    /// The original destination of the accepted, connected socket `fd`. Synchronous: two cheap
    /// system calls (`getsockname`, `getpeername`) and the `getsockopt`, so it is safe on an event loop.
    public static func of(socket fd: Int32) throws(OriginalDestinationError) -> (address: IPAddress, port: UInt16) {
        let local = try endpoint(of: fd, call: "getsockname", using: getsockname)
        let peer = try endpoint(of: fd, call: "getpeername", using: getpeername)
        let connection = "\(local) <- \(peer)"
        let original: SocketEndpoint
        if peer.address.isIPv4 {
            var address = sockaddr_in()
            try read(&address, from: fd, level: ipv4Level, call: "getsockopt(SOL_IP, SO_ORIGINAL_DST)", connection: connection)
            original = SocketEndpoint(address)
        } else {
            var address = sockaddr_in6()
            try read(&address, from: fd, level: ipv6Level, call: "getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)",
                     connection: connection)
            original = SocketEndpoint(address)
        }
        return try checked(original, local: local, connection: connection)
    }

    /// The original destination of a connected NIO socket channel.
    ///
    /// Must be called on the channel's event loop, e.g. from a handler's `channelActive`: there NIO reads
    /// the socket option at once and this returns or throws synchronously. Called from any other
    /// thread it throws ``OriginalDestinationError/unsupported(reason:)`` rather than block.
    ///
    /// Uses `SocketOptionProvider.unsafeGetSocketOption` typed as `sockaddr_in` / `sockaddr_in6`;
    /// `ChannelOptions.Types.SocketOption` cannot be used, as its value is an `Int` (EINVAL).
    public static func of(channel: any Channel) throws(OriginalDestinationError) -> (address: IPAddress, port: UInt16) {
        guard channel.eventLoop.inEventLoop else {
            throw .unsupported(reason: "OriginalDestination.of(channel:) must be called on the channel's event loop")
        }
        guard let provider = channel as? any SocketOptionProvider else {
            throw .unsupported(reason: "\(type(of: channel)) is not a socket channel")
        }
        guard let localAddress = channel.localAddress, let local = SocketEndpoint(localAddress),
              let peerAddress = channel.remoteAddress, let peer = SocketEndpoint(peerAddress) else {
            throw .unsupported(reason: "the channel is not a connected IPv4 or IPv6 socket "
                + "(local \(channel.localAddress.map { "\($0)" } ?? "none"), "
                + "peer \(channel.remoteAddress.map { "\($0)" } ?? "none"))")
        }
        let connection = "\(local) <- \(peer)"
        let original: SocketEndpoint
        if peer.address.isIPv4 {
            let future: EventLoopFuture<sockaddr_in> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(ipv4Level), name: SocketOptionName(optionName))
            original = SocketEndpoint(try completedValue(of: future, call: "getsockopt(SOL_IP, SO_ORIGINAL_DST)",
                                                         connection: connection))
        } else {
            let future: EventLoopFuture<sockaddr_in6> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(ipv6Level), name: SocketOptionName(optionName))
            original = SocketEndpoint(try completedValue(of: future, call: "getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST)",
                                                         connection: connection))
        }
        return try checked(original, local: local, connection: connection)
    }

    // MARK: Helpers

    /// A connection whose original destination is its own local address was not redirected.
    private static func checked(_ original: SocketEndpoint, local: SocketEndpoint,
                                connection: String) throws(OriginalDestinationError) -> (address: IPAddress, port: UInt16) {
        guard original != local else { throw .notRedirected(connection: connection, errno: nil) }
        return (original.address, original.port)
    }

    private typealias NameCall = (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> Int32

    private static func endpoint(of fd: Int32, call: String,
                                 using name: NameCall) throws(OriginalDestinationError) -> SocketEndpoint {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutableBytes(of: &storage) { raw in
            name(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { throw .systemCallFailed(call: call, errno: Glibc.errno, connection: nil) }
        guard let endpoint = SocketEndpoint(storage) else {
            throw .unsupported(reason: "socket \(fd) is of address family \(storage.ss_family), not IPv4 or IPv6")
        }
        return endpoint
    }

    private static func read<Address>(_ address: inout Address, from fd: Int32, level: Int32, call: String,
                                      connection: String) throws(OriginalDestinationError) {
        var length = socklen_t(MemoryLayout<Address>.size)
        let status = withUnsafeMutableBytes(of: &address) { getsockopt(fd, level, optionName, $0.baseAddress, &length) }
        guard status == 0 else {
            throw failure(errno: Glibc.errno, call: call, connection: connection)
        }
    }

    private static func failure(errno: Int32, call: String, connection: String) -> OriginalDestinationError {
        errno == ENOENT ? .notRedirected(connection: connection, errno: ENOENT)
            : .systemCallFailed(call: call, errno: errno, connection: connection)
    }

    /// The value of a future NIO completed before returning it, as it does for socket options read
    /// on the channel's event loop.
    private static func completedValue<Value>(of future: EventLoopFuture<Value>, call: String,
                                              connection: String) throws(OriginalDestinationError) -> Value {
        var result: Result<Value, any Error>?
        future.assumeIsolated().whenComplete { result = $0 }
        switch result {
        case .success(let value)?:
            return value
        case .failure(let error as IOError)?:
            throw failure(errno: error.errnoCode, call: call, connection: connection)
        case .failure(let error)?:
            throw .unsupported(reason: "\(call) on \(connection): \(error)")
        case nil:
            throw .unsupported(reason: "\(call) on \(connection) did not complete on the event loop")
        }
    }
}
