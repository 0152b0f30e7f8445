import Glibc

/// Why a NETLINK_SOCK_DIAG lookup failed. A lookup that simply finds no socket is not an error: it
/// returns nil.
public enum SocketDiagnosticsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call on the netlink socket failed.
    case systemCallFailed(call: String, errno: Int32)
    /// The kernel answered the request with an error other than "no such socket" (`ENOENT`).
    case kernelError(errno: Int32, request: String)
    /// No answer within the receive timeout.
    case timedOut(request: String, timeout: Duration)
    /// The answer does not parse as netlink messages.
    case malformedReply(String)
    /// The flow cannot be looked up (mixed families, no ports, a protocol other than TCP or UDP).
    case unsupportedFlow(String)

    public var description: String {
        switch self {
        case .systemCallFailed(let call, let errno):
            "sock_diag: \(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case .kernelError(let errno, let request):
            "sock_diag: the kernel refused the lookup of \(request): \(String(cString: strerror(errno))) (errno \(errno))"
        case .timedOut(let request, let timeout):
            "sock_diag: no answer to the lookup of \(request) within \(timeout)"
        case .malformedReply(let detail):
            "sock_diag: malformed reply: \(detail)"
        case .unsupportedFlow(let detail):
            "sock_diag: cannot look up \(detail)"
        }
    }
}
