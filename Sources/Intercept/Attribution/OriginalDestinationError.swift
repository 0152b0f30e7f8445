import Glibc

/// Why the original destination of an accepted connection could not be read.
///
/// Every case says which connection it was about (`connection`, "local <- peer" when known) so a
/// log line or a refusal record can name it.
public enum OriginalDestinationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection was not redirected: the kernel has no NAT record of it (`ENOENT` from
    /// `SO_ORIGINAL_DST`), or the record's original destination is the socket's own local address.
    /// Either way the client dialled the gateway directly. `errno` is `ENOENT` in the first case and
    /// nil in the second.
    case notRedirected(connection: String, errno: Int32?)
    /// A system call failed: `ENOPROTOOPT` for a protocol other than TCP or SCTP, `ENOTCONN` for a
    /// socket without a peer, `EBADF`, ...
    case systemCallFailed(call: String, errno: Int32, connection: String?)
    /// The socket or channel cannot have an original destination (not IPv4 or IPv6, not a socket
    /// channel, or asked off the channel's event loop).
    case unsupported(reason: String)

    /// The `errno` behind the failure, when there is one.
    public var errno: Int32? {
        switch self {
        case .notRedirected(_, let errno): errno
        case .systemCallFailed(_, let errno, _): errno
        case .unsupported: nil
        }
    }

    /// True for ``notRedirected(connection:errno:)``.
    public var isNotRedirected: Bool {
        if case .notRedirected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .notRedirected(let connection, let errno):
            let why = errno == ENOENT ? "the kernel has no NAT record of it (ENOENT)"
                : "its original destination is the socket's own address"
            return "connection \(connection) was not redirected: \(why)"
        case .systemCallFailed(let call, let errno, let connection):
            let message = String(cString: strerror(errno))
            return "\(call) failed: \(message) (errno \(errno))" + (connection.map { " on connection \($0)" } ?? "")
        case .unsupported(let reason):
            return "no original destination: \(reason)"
        }
    }
}
