import CNetfilterQueue
import Glibc
import Logging
import Synchronization

/// The guard's receive loop: poll the netlink socket, `recv` each message and hand it to
/// `nfq_handle_packet`, which runs the callback. Runs on its own thread, never on the Swift
/// concurrency pool or an event loop, so nothing else can delay a verdict.
///
/// Invariant: only the loop thread touches `handle` while the loop runs; ``NetfilterQueueGuard``
/// joins the thread before it uses the handle again.
final class QueueReceiveLoop: @unchecked Sendable {
    /// Big enough for any netlink message the queue sends with a 128-byte copy range, and more.
    static let bufferSize = 65_536

    private let handle: OpaquePointer
    private let socket: Int32
    private let wakeReader: Int32
    private let logger: Logger
    let receiveOverruns = Atomic<Int>(0)
    let receiveErrors = Atomic<Int>(0)

    init(handle: OpaquePointer, socket: Int32, wakeReader: Int32, logger: Logger) {
        self.handle = handle
        self.socket = socket
        self.wakeReader = wakeReader
        self.logger = logger
    }

    /// Runs until the wake pipe becomes readable (or closes).
    func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            if poll(&descriptors, 2, -1) < 0 {
                if errno != EINTR { failure("poll", errno) }
                continue
            }
            if descriptors[1].revents != 0 { return }
            if descriptors[0].revents & Int16(POLLNVAL) != 0 {
                logger.error("the netfilter queue socket was closed under the guard; its loop ends")
                return
            }
            if descriptors[0].revents != 0 { drain(buffer) }
        }
    }

    /// Receives what is waiting, a bounded number of messages at a time so a stop is noticed.
    private func drain(_ buffer: UnsafeMutableRawBufferPointer) {
        for _ in 0..<256 {
            let count = recv(socket, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                _ = nfq_handle_packet(handle, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(count))
                continue
            }
            if count == 0 { return }
            switch errno {
            case EAGAIN, EWOULDBLOCK: return
            case EINTR: continue
            case ENOBUFS:
                if receiveOverruns.add(1, ordering: .relaxed).newValue == 1 {
                    logger.warning("the netfilter queue socket overran; the kernel dropped what it could not deliver")
                }
            default:
                failure("recv", errno)
                return
            }
        }
    }

    /// Counts a failure and logs the first ones; backs off briefly so a persistent error cannot spin.
    private func failure(_ call: String, _ code: Int32) {
        let count = receiveErrors.add(1, ordering: .relaxed).newValue
        if count <= 10 || count % 1000 == 0 {
            logger.error("netfilter queue \(call) failed: \(NetfilterQueueError.text(code)) (\(count) failures so far)")
        }
        usleep(10_000)
    }
}
