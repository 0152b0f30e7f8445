/// How the writer batches, bounds and retries. Plain values; the defaults suit a gateway.
public struct StoreWriterConfiguration: Sendable, Hashable {
    /// Rows accepted and waiting for a commit; beyond it new records fail at once (the proxy
    /// answers 503). A single record larger than this is still accepted into an empty queue.
    public var queueCapacity: Int
    /// The most rows one transaction takes (the backlog after an outage is written whole).
    public var maxBatchRows: Int
    /// How long the writer waits for more rows once one is pending, before it commits: the group
    /// commit window. Zero commits as soon as the previous commit is done.
    public var batchDelay: Duration
    /// Rows kept in memory while the store cannot be written (or the queue is full), to be written
    /// once it can; beyond it records are lost and counted.
    public var backlogCapacity: Int
    /// The same bound in bytes of row values.
    public var backlogByteCapacity: Int
    /// How often a failing store is tried again, and how long refusals must have stopped before an
    /// episode of a full queue is closed and recorded.
    public var retryInterval: Duration

    public init(queueCapacity: Int = 10_000, maxBatchRows: Int = 1_000, batchDelay: Duration = .milliseconds(2),
                backlogCapacity: Int = 10_000, backlogByteCapacity: Int = 64 << 20, retryInterval: Duration = .milliseconds(250)) {
        self.queueCapacity = max(1, queueCapacity)
        self.maxBatchRows = max(1, maxBatchRows)
        self.batchDelay = batchDelay
        self.backlogCapacity = max(0, backlogCapacity)
        self.backlogByteCapacity = max(0, backlogByteCapacity)
        self.retryInterval = retryInterval
    }
}
