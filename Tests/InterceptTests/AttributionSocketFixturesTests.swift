import Glibc
import Intercept

/// Real sockets for the attribution and original-destination tests, made with plain system calls so
/// they can be created on a ``TestSupport/NamespaceThread`` inside a test namespace.
///
/// (Only fixtures live here; the file name follows the Attribution*Tests pattern of this test target.)
final class TestSocket: Sendable, CustomStringConvertible {
    let descriptor: Int32

    private init(_ descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    var description: String { "socket \(descriptor)" }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ call: String, _ code: Int32 = errno) {
            description = "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// A TCP socket listening on `address:port` (port 0: any free port).
    static func listen(_ address: String, port: UInt16 = 0, v6Only: Bool = true) throws -> TestSocket {
        let socket = try TestSocket(family: family(of: address), type: SOCK_STREAM)
        var one: Int32 = 1
        setsockopt(socket.descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family(of: address) == AF_INET6 {
            var flag: Int32 = v6Only ? 1 : 0
            guard setsockopt(socket.descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &flag, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw Failure("setsockopt(IPV6_V6ONLY)")
            }
        }
        try socket.bind(address, port: port)
        guard Glibc.listen(socket.descriptor, 16) == 0 else { throw Failure("listen") }
        return socket
    }

    /// A listening TCP socket's bare descriptor, for `ServerBootstrap.withBoundSocket`, which takes it over.
    static func listeningDescriptor(_ address: String, port: UInt16, v6Only: Bool = true) throws -> Int32 {
        let socket = try listen(address, port: port, v6Only: v6Only)
        let copy = dup(socket.descriptor)
        guard copy >= 0 else { throw Failure("dup") }
        return copy
    }

    /// A TCP socket connected to `address:port` (blocking until the handshake completes).
    static func connectTCP(to address: String, port: UInt16) throws -> TestSocket {
        let socket = try TestSocket(family: family(of: address), type: SOCK_STREAM)
        try socket.connect(address, port: port)
        return socket
    }

    /// A UDP socket bound to `address:port`.
    static func boundUDP(_ address: String, port: UInt16 = 0) throws -> TestSocket {
        let socket = try TestSocket(family: family(of: address), type: SOCK_DGRAM)
        try socket.bind(address, port: port)
        return socket
    }

    /// A UDP socket connected to `address:port`.
    static func connectedUDP(to address: String, port: UInt16) throws -> TestSocket {
        let socket = try TestSocket(family: family(of: address), type: SOCK_DGRAM)
        try socket.connect(address, port: port)
        return socket
    }

    /// The next connection on this listening socket.
    func accept() throws -> TestSocket {
        while true {
            let accepted = Glibc.accept(descriptor, nil, nil)
            if accepted >= 0 { return TestSocket(accepted) }
            if errno != EINTR { throw Failure("accept") }
        }
    }

    var localEndpoint: SocketEndpoint { get throws { try name(getsockname, "getsockname").endpoint } }
    var peerEndpoint: SocketEndpoint { get throws { try name(getpeername, "getpeername").endpoint } }
    /// AF_INET or AF_INET6, from getsockname.
    var family: Int32 { get throws { try name(getsockname, "getsockname").family } }

    /// The socket's inode, as `/proc/PID/fd/N` names it.
    var inode: UInt64 {
        get throws {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { throw Failure("fstat") }
            return UInt64(info.st_ino)
        }
    }

    // MARK: Plumbing

    static func family(of address: String) -> Int32 { address.contains(":") ? AF_INET6 : AF_INET }

    private convenience init(family: Int32, type: __socket_type) throws {
        let descriptor = socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket") }
        self.init(descriptor)
    }

    private func bind(_ address: String, port: UInt16) throws {
        let status = try Self.withSocketAddress(address, port: port) { Glibc.bind(descriptor, $0, $1) }
        guard status == 0 else { throw Failure("bind \(address) port \(port)") }
    }

    private func connect(_ address: String, port: UInt16) throws {
        while true {
            let status = try Self.withSocketAddress(address, port: port) { Glibc.connect(descriptor, $0, $1) }
            if status == 0 { return }
            if errno != EINTR { throw Failure("connect to \(address) port \(port)") }
        }
    }

    private static func withSocketAddress<T>(_ address: String, port: UInt16,
                                             _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws -> T {
        if family(of: address) == AF_INET6 {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, address, &v6.sin6_addr) == 1 else { throw Failure("inet_pton \(address)", EINVAL) }
            return withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &v4.sin_addr) == 1 else { throw Failure("inet_pton \(address)", EINVAL) }
        return withUnsafePointer(to: &v4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    private typealias NameCall = (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> Int32

    private func name(_ call: NameCall, _ label: String) throws -> (endpoint: SocketEndpoint, family: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
        }
        guard status == 0 else { throw Failure(label) }
        let family = Int32(storage.ss_family)
        let endpoint: SocketEndpoint
        switch family {
        case AF_INET:
            endpoint = withUnsafeBytes(of: &storage) { SocketEndpoint.fromSocketAddress($0.loadUnaligned(as: sockaddr_in.self)) }
        case AF_INET6:
            endpoint = withUnsafeBytes(of: &storage) { SocketEndpoint.fromSocketAddress($0.loadUnaligned(as: sockaddr_in6.self)) }
        default:
            throw Failure("\(label): family \(family)", EAFNOSUPPORT)
        }
        return (endpoint, family)
    }
}

extension SocketEndpoint {
    /// Decoded independently of the module's own decoding, so the tests do not grade themselves.
    static func fromSocketAddress(_ address: sockaddr_in) -> SocketEndpoint {
        var raw = address.sin_addr
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
        return SocketEndpoint(IPAddress(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))!, port: UInt16(bigEndian: address.sin_port))
    }

    static func fromSocketAddress(_ address: sockaddr_in6) -> SocketEndpoint {
        var raw = address.sin6_addr
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
        return SocketEndpoint(IPAddress(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))!, port: UInt16(bigEndian: address.sin6_port))
    }

    /// Parses test literals such as "198.18.0.2"; traps on a typo in a test.
    static func literal(_ address: String, _ port: UInt16) -> SocketEndpoint {
        SocketEndpoint(IPAddress(address)!, port: port)
    }
}

extension Flow {
    /// A flow between two socket endpoints.
    static func between(_ transport: TransportProtocol, _ source: SocketEndpoint, _ destination: SocketEndpoint) -> Flow {
        Flow(transport: transport, source: source.address, sourcePort: source.port,
             destination: destination.address, destinationPort: destination.port)
    }
}
