import Glibc

/// Why the guard could not start. Each case names the queue and the step that failed.
public enum NetfilterQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kernel refused for lack of CAP_NET_ADMIN (EPERM).
    case needsNetAdmin(queue: UInt16, step: String, errno: Int32)
    /// Another netlink socket (another process, or another guard) is bound to the queue.
    /// `peerPortID` is its netlink port id, when /proc showed it.
    case queueHeldByAnotherProcess(queue: UInt16, peerPortID: UInt32?, errno: Int32)
    /// `start()` was called on a guard that is running.
    case alreadyRunning(queue: UInt16)
    /// Any other failure of a library or system call.
    case failed(queue: UInt16, step: String, errno: Int32)

    public var queue: UInt16 {
        switch self {
        case .needsNetAdmin(let queue, _, _), .queueHeldByAnotherProcess(let queue, _, _), .alreadyRunning(let queue),
             .failed(let queue, _, _):
            queue
        }
    }

    public var description: String {
        switch self {
        case .needsNetAdmin(let queue, let step, let code):
            return "opening netfilter queue \(queue) needs CAP_NET_ADMIN (\(step): \(Self.text(code)))"
        case .queueHeldByAnotherProcess(let queue, let peer, let code):
            let holder = peer.map { "netlink port id \($0)" } ?? "another netlink socket"
            return "netfilter queue \(queue) is already held by another process (\(holder)); "
                + "only one guard can listen on a queue (nfq_create_queue: \(Self.text(code)))"
        case .alreadyRunning(let queue):
            return "the guard on netfilter queue \(queue) is already running"
        case .failed(let queue, let step, let code):
            return "opening netfilter queue \(queue) failed at \(step): \(Self.text(code))"
        }
    }

    static func text(_ code: Int32) -> String {
        code == 0 ? "no error code" : "\(String(cString: strerror(code))) (errno \(code))"
    }
}
