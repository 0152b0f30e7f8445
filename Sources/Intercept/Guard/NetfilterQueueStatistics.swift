/// What the guard's queue thread has done since it started.
public struct NetfilterQueueStatistics: Sendable, Hashable {
    /// Packets that reached the callback with a packet id (each got NF_DROP).
    public var packets = 0
    /// `nfq_set_verdict` calls that failed; those packets stay queued until the queue is destroyed,
    /// when the kernel drops them.
    public var verdictFailures = 0
    /// Messages without a packet header (no id, so no verdict could be given).
    public var missingPacketHeaders = 0
    /// `recv` reported ENOBUFS (the kernel dropped packets it could not deliver; should stay 0 with
    /// NETLINK_NO_ENOBUFS: the kernel's `user_dropped` counts them instead).
    public var receiveOverruns = 0
    /// Other `recv` or `poll` failures.
    public var receiveErrors = 0
    /// The receive buffer the kernel granted, in bytes.
    public var receiveBufferBytes = 0

    public init() {}
}
