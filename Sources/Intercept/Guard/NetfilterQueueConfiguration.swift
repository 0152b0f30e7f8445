/// How the guard sets up its netfilter queue. The defaults are the production ones.
public struct NetfilterQueueConfiguration: Sendable, Hashable {
    /// The queue the fail-closed rule sends to (`-j NFQUEUE --queue-num`).
    public var queue: UInt16
    /// Bytes of each packet copied to the guard: enough for the IP and transport headers.
    public var copyRange: UInt32
    /// Packets the kernel holds waiting for a verdict; beyond it the kernel drops (no FAIL_OPEN).
    public var maximumLength: UInt32
    /// The netlink receive buffer asked for (`nfnl_rcvbufsiz`, SO_RCVBUFFORCE as root).
    public var receiveBufferBytes: UInt32

    public init(queue: UInt16 = 4242, copyRange: UInt32 = 128, maximumLength: UInt32 = 4096,
                receiveBufferBytes: UInt32 = 16 << 20) {
        self.queue = queue
        self.copyRange = copyRange
        self.maximumLength = maximumLength
        self.receiveBufferBytes = receiveBufferBytes
    }
}
