import CNetfilterQueue
import Glibc
import Logging
import Synchronization

/// Listens on the fail-closed netfilter queue and drops every packet on it, reporting each one.
///
/// The rule that feeds the queue has no `--queue-bypass`, so the kernel drops the packets whether
/// or not this guard runs; the guard adds the record (who, from where, to where). Invariants:
/// - Every packet gets `NF_DROP`, and nothing else, as soon as its id is read: before parsing and
///   before the report (see ``QueueCallbackContext``).
/// - `NFQA_CFG_F_FAIL_OPEN` is never set: a full queue, or a socket that cannot take a packet, drops it.
/// - The receive loop runs on a dedicated thread. `onDrop` runs on that thread too, so it must be quick
///   and must not block (``BypassReporter/report(_:)`` is).
/// - The netlink socket lives in the network namespace of the thread that calls ``start()``; interface
///   names are looked up there too (through a socket opened by ``start()``), whichever thread handles
///   a packet. Tests rely on this to run a guard inside a throwaway namespace.
public final class NetfilterQueueGuard: Sendable {
    public let configuration: NetfilterQueueConfiguration
    private let logger: Logger
    private let onDrop: @Sendable (DroppedPacket) -> Void
    private let running = Mutex<Running?>(nil)
    private let lastRun = Mutex<NetfilterQueueStatistics?>(nil)

    /// The resources of a started guard. Only ``start()`` and ``stop()`` touch them, under the lock;
    /// the loop thread uses `handle` alone until it is joined.
    private struct Running: @unchecked Sendable {
        let handle: OpaquePointer
        let queueHandle: OpaquePointer
        let thread: pthread_t
        let wakeWriter: Int32
        let wakeReader: Int32
        let loop: QueueReceiveLoop
        let retainedContext: Unmanaged<QueueCallbackContext>
        let receiveBufferBytes: Int
    }

    /// A guard that hands every dropped packet to `onDrop` (on the queue thread; must not block).
    public init(configuration: NetfilterQueueConfiguration = NetfilterQueueConfiguration(),
                logger: Logger = Logger(label: "portcullis.guard"),
                onDrop: @escaping @Sendable (DroppedPacket) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.onDrop = onDrop
    }

    /// A guard that reports every dropped packet to `reporter`.
    public convenience init(configuration: NetfilterQueueConfiguration = NetfilterQueueConfiguration(),
                            logger: Logger = Logger(label: "portcullis.guard"), reporter: BypassReporter) {
        self.init(configuration: configuration, logger: logger, onDrop: { reporter.report($0) })
    }

    deinit {
        stop()
    }

    // MARK: Starting

    /// Binds the queue and starts the receive thread. Needs CAP_NET_ADMIN in the calling thread's
    /// network namespace. On failure everything opened so far is closed again.
    public func start() throws(NetfilterQueueError) {
        try running.withLock { (running: inout Running?) throws(NetfilterQueueError) in
            guard running == nil else { throw .alreadyRunning(queue: configuration.queue) }
            running = try open()
        }
        logger.info("guarding netfilter queue \(configuration.queue): every packet on it is dropped and reported")
    }

    private func open() throws(NetfilterQueueError) -> Running {
        let queue = configuration.queue
        guard let names = InterfaceNames() else {
            throw .failed(queue: queue, step: "socket(AF_UNIX) for interface names", errno: errno)
        }
        guard let handle = nfq_open() else { throw .failed(queue: queue, step: "nfq_open", errno: errno) }
        var queueHandle: OpaquePointer?
        let retained = Unmanaged.passRetained(QueueCallbackContext(onDrop: onDrop, interfaceNames: names))
        do throws(NetfilterQueueError) {
            try bindFamilies(handle)
            queueHandle = try createQueue(handle, context: retained)
            guard let queueHandle else { throw .failed(queue: queue, step: "nfq_create_queue", errno: 0) }
            try configure(queueHandle)
            let (socket, bufferBytes) = try configureSocket(handle)
            return try startThread(handle: handle, queueHandle: queueHandle, socket: socket,
                                   retainedContext: retained, receiveBufferBytes: bufferBytes)
        } catch {
            if let queueHandle { _ = nfq_destroy_queue(queueHandle) }
            _ = nfq_close(handle)
            retained.release()
            throw error
        }
    }

    /// `nfq_unbind_pf`/`nfq_bind_pf` for IPv4 and IPv6. Since Linux 3.8 these do nothing and may
    /// answer EINVAL or EEXIST, which is fine; EPERM still means no CAP_NET_ADMIN.
    private func bindFamilies(_ handle: OpaquePointer) throws(NetfilterQueueError) {
        for family in [AF_INET, AF_INET6] {
            _ = nfq_unbind_pf(handle, UInt16(family))
            guard nfq_bind_pf(handle, UInt16(family)) < 0 else { continue }
            let code = errno
            switch code {
            case EINVAL, EEXIST, EBUSY: continue
            case EPERM: throw .needsNetAdmin(queue: configuration.queue, step: "nfq_bind_pf", errno: code)
            default: throw .failed(queue: configuration.queue, step: "nfq_bind_pf", errno: code)
            }
        }
    }

    /// Binds the queue. The kernel answers EPERM both without CAP_NET_ADMIN and when another socket
    /// holds the queue (EBUSY or EEXIST on some kernels), so the capability and /proc tell them apart.
    private func createQueue(_ handle: OpaquePointer,
                             context: Unmanaged<QueueCallbackContext>) throws(NetfilterQueueError) -> OpaquePointer {
        let queue = configuration.queue
        if let queueHandle = nfq_create_queue(handle, queue, queueCallback, context.toOpaque()) { return queueHandle }
        let code = errno
        let holder = (try? QueueStatus.read(queue: queue)) ?? nil
        switch code {
        case EBUSY, EEXIST:
            throw .queueHeldByAnotherProcess(queue: queue, peerPortID: holder?.peerPortID, errno: code)
        case EPERM where NetAdminCapability.isEffective() == false:
            throw .needsNetAdmin(queue: queue, step: "nfq_create_queue", errno: code)
        case EPERM where holder != nil:
            throw .queueHeldByAnotherProcess(queue: queue, peerPortID: holder?.peerPortID, errno: code)
        default:
            throw .failed(queue: queue, step: "nfq_create_queue", errno: code)
        }
    }

    /// Headers only, a bounded queue, and the socket owner's uid/gid on each packet. Never FAIL_OPEN.
    private func configure(_ queueHandle: OpaquePointer) throws(NetfilterQueueError) {
        let queue = configuration.queue
        if nfq_set_mode(queueHandle, UInt8(NFQNL_COPY_PACKET.rawValue), configuration.copyRange) < 0 {
            throw .failed(queue: queue, step: "nfq_set_mode(NFQNL_COPY_PACKET, \(configuration.copyRange))", errno: errno)
        }
        if nfq_set_queue_maxlen(queueHandle, configuration.maximumLength) < 0 {
            throw .failed(queue: queue, step: "nfq_set_queue_maxlen(\(configuration.maximumLength))", errno: errno)
        }
        let uidGID = UInt32(NFQA_CFG_F_UID_GID)
        if nfq_set_queue_flags(queueHandle, uidGID, uidGID) < 0 {
            throw .failed(queue: queue, step: "nfq_set_queue_flags(NFQA_CFG_F_UID_GID)", errno: errno)
        }
    }

    /// A large receive buffer and NETLINK_NO_ENOBUFS, so a burst costs packets (dropped by the
    /// kernel, counted in `user_dropped`) rather than a socket error.
    private func configureSocket(_ handle: OpaquePointer) throws(NetfilterQueueError) -> (Int32, Int) {
        let socket = nfq_fd(handle)
        let granted = nfnl_rcvbufsiz(nfq_nfnlh(handle), configuration.receiveBufferBytes)
        var on: Int32 = 1
        if setsockopt(socket, Self.solNetlink, Self.netlinkNoENOBUFS, &on, socklen_t(MemoryLayout<Int32>.size)) < 0 {
            throw .failed(queue: configuration.queue, step: "setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS)", errno: errno)
        }
        return (socket, Int(granted))
    }

    /// SOL_NETLINK and NETLINK_NO_ENOBUFS from <linux/netlink.h>, which Glibc does not export.
    static let solNetlink: Int32 = 270
    static let netlinkNoENOBUFS: Int32 = 5

    private func startThread(handle: OpaquePointer, queueHandle: OpaquePointer, socket: Int32,
                             retainedContext: Unmanaged<QueueCallbackContext>,
                             receiveBufferBytes: Int) throws(NetfilterQueueError) -> Running {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw .failed(queue: configuration.queue, step: "pipe", errno: errno) }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let loop = QueueReceiveLoop(handle: handle, socket: socket, wakeReader: pipeEnds[0], logger: logger)
        let argument = Unmanaged.passRetained(loop).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let loop = Unmanaged<QueueReceiveLoop>.fromOpaque(argument).takeRetainedValue()
            loop.run()
            return nil
        }, argument)
        guard result == 0 else {
            Unmanaged<QueueReceiveLoop>.fromOpaque(argument).release()
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw .failed(queue: configuration.queue, step: "pthread_create", errno: result)
        }
        return Running(handle: handle, queueHandle: queueHandle, thread: thread, wakeWriter: pipeEnds[1],
                       wakeReader: pipeEnds[0], loop: loop, retainedContext: retainedContext,
                       receiveBufferBytes: receiveBufferBytes)
    }

    // MARK: Stopping

    /// Stops the thread, unbinds and destroys the queue, and closes the socket. Idempotent. Must not be
    /// called from `onDrop`. Packets still waiting are dropped by the kernel when the queue goes away,
    /// and with no listener the rule's packets are dropped too (fail closed).
    public func stop() {
        let stopped = running.withLock { running -> Bool in
            guard let current = running else { return false }
            running = nil
            var byte: UInt8 = 1
            _ = write(current.wakeWriter, &byte, 1)
            _ = pthread_join(current.thread, nil)
            // Messages already received by the socket are handled (and dropped) while the unbind
            // waits for its acknowledgement; then the kernel drops whatever is still queued.
            _ = nfq_destroy_queue(current.queueHandle)
            _ = nfq_close(current.handle)
            close(current.wakeWriter)
            close(current.wakeReader)
            lastRun.withLock { $0 = statistics(of: current) }
            current.retainedContext.release()
            return true
        }
        if stopped { logger.info("stopped guarding netfilter queue \(configuration.queue)") }
    }

    // MARK: State

    public var isRunning: Bool { running.withLock { $0 != nil } }

    /// Counters of the current run, or of the last one once stopped.
    public var statistics: NetfilterQueueStatistics {
        running.withLock { running in
            if let running { return statistics(of: running) }
            return lastRun.withLock { $0 } ?? NetfilterQueueStatistics()
        }
    }

    private func statistics(of running: Running) -> NetfilterQueueStatistics {
        var statistics = NetfilterQueueStatistics()
        let context = running.retainedContext.takeUnretainedValue()
        statistics.packets = context.packets.load(ordering: .relaxed)
        statistics.verdictFailures = context.verdictFailures.load(ordering: .relaxed)
        statistics.missingPacketHeaders = context.missingPacketHeaders.load(ordering: .relaxed)
        statistics.receiveOverruns = running.loop.receiveOverruns.load(ordering: .relaxed)
        statistics.receiveErrors = running.loop.receiveErrors.load(ordering: .relaxed)
        statistics.receiveBufferBytes = running.receiveBufferBytes
        return statistics
    }
}
